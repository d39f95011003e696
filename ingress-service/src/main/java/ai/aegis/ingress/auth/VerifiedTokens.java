package ai.aegis.ingress.auth;

import ai.aegis.schemas.auth.Caller;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Tokens already verified, by the SHA-256 of their text (the token itself is not kept), each until its {@code exp}:
 * a client that sends the same token on every request costs one signature check. Bounded: past {@code capacity}
 * the least recently used is dropped (and is verified again if it comes back). Thread-safe.
 */
final class VerifiedTokens {

    private record Verified(Caller caller, long expiresAtMillis) {
    }

    private final int capacity;
    private final LinkedHashMap<String, Verified> entries;

    VerifiedTokens(int capacity) {
        this.capacity = capacity;
        this.entries = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Verified> eldest) {
                return size() > VerifiedTokens.this.capacity;
            }
        };
    }

    /** The caller of a token verified before, if it has not expired at {@code nowMillis}. */
    Optional<Caller> get(String token, long nowMillis) {
        if (capacity == 0) {
            return Optional.empty();
        }
        String key = hash(token); // outside the lock: requests contend only for the map
        synchronized (this) {
            return lookup(key, nowMillis);
        }
    }

    private Optional<Caller> lookup(String key, long nowMillis) {
        Verified e = entries.get(key);
        if (e == null) {
            return Optional.empty();
        }
        if (nowMillis >= e.expiresAtMillis()) {
            entries.remove(key);
            return Optional.empty();
        }
        return Optional.of(e.caller());
    }

    void put(String token, Caller caller, long expiresAtMillis) {
        if (capacity > 0) {
            String key = hash(token);
            synchronized (this) {
                entries.put(key, new Verified(caller, expiresAtMillis));
            }
        }
    }

    synchronized int size() {
        return entries.size();
    }

    private static String hash(String token) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(token.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
