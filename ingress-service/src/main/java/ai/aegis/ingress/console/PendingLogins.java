package ai.aegis.ingress.console;

import java.time.Clock;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The console's OIDC logins under way, by their {@code state}: what the callback needs (the PKCE verifier, the nonce,
 * the redirect URI) and nothing else. Bounded, because anyone may start a login without a token: at most
 * {@code capacity} entries, each dropped after the TTL; when full, the expired ones go, then the oldest (whose user
 * sees "sign in again", rather than the node's memory growing with a flood of abandoned logins). A state is taken
 * once: a callback replayed with it is refused.
 */
public final class PendingLogins {

    public static final Duration DEFAULT_TTL = Duration.ofMinutes(10);
    public static final int DEFAULT_CAPACITY = 4_096;

    /** One login started: its secrets, which never leave the node but the verifier (sent to the token endpoint). */
    public record Pending(String codeVerifier, String nonce, String redirectUri, long expiresAtMillis) {
    }

    private final Map<String, Pending> byState = new LinkedHashMap<>();
    private final int capacity;
    private final Duration ttl;
    private final Clock clock;

    public PendingLogins(int capacity, Duration ttl, Clock clock) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1");
        }
        if (ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("ttl must be positive");
        }
        this.capacity = capacity;
        this.ttl = ttl;
        this.clock = clock;
    }

    /**
     * Keeps a login under {@code state} until the TTL ends. Under the lock, but no scan: the expired entries are a
     * prefix of the map (dropped until the first live one) and at most one more goes when it is full.
     */
    public synchronized void put(String state, String codeVerifier, String nonce, String redirectUri) {
        long now = clock.millis();
        dropExpired(now);
        // insertion order is expiry order (one TTL for all): the first entry is the oldest
        while (byState.size() >= capacity) {
            Iterator<String> oldest = byState.keySet().iterator();
            oldest.next();
            oldest.remove();
        }
        byState.put(state, new Pending(codeVerifier, nonce, redirectUri, now + ttl.toMillis()));
    }

    /** The login of {@code state}, removed (one use); empty when unknown, already taken or expired. */
    public synchronized Optional<Pending> take(String state) {
        if (state == null) {
            return Optional.empty();
        }
        Pending pending = byState.remove(state);
        long now = clock.millis();
        dropExpired(now);
        return pending == null || now >= pending.expiresAtMillis() ? Optional.empty() : Optional.of(pending);
    }

    public synchronized int size() {
        dropExpired(clock.millis());
        return byState.size();
    }

    private void dropExpired(long now) {
        Iterator<Pending> it = byState.values().iterator();
        while (it.hasNext() && now >= it.next().expiresAtMillis()) {
            it.remove();
        }
    }
}
