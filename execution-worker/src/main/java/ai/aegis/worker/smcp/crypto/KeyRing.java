package ai.aegis.worker.smcp.crypto;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;

import java.text.ParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The token-signing keys this node trusts: its own, and the public keys the other workers published on the sessions
 * topic (at most {@code capacity}, the newest kept), each with a ready verifier. Thread-safe.
 */
public final class KeyRing {

    private record Trusted(RSAKey key, RSASSAVerifier verifier) {
    }

    private final SigningKey own;
    private final Trusted ownEntry;
    private final int capacity;
    private final Map<String, Trusted> learned;

    public KeyRing(SigningKey own, int capacity) {
        this.own = own;
        this.ownEntry = entry(own.publicJwk());
        this.capacity = capacity;
        this.learned = new LinkedHashMap<>(16, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Trusted> eldest) {
                return size() > KeyRing.this.capacity;
            }
        };
    }

    public SigningKey own() {
        return own;
    }

    /**
     * Learns another node's public key.
     *
     * @throws IllegalArgumentException when it is not a public RSA JWK whose kid is its thumbprint
     */
    public void learn(String keyId, String jwkJson) {
        RSAKey key;
        try {
            JWK jwk = JWK.parse(jwkJson);
            if (!(jwk instanceof RSAKey rsa) || jwk.isPrivate()) {
                throw new IllegalArgumentException("a signing key must be a public RSA JWK");
            }
            key = rsa;
            // the kid is the thumbprint: a record cannot pass off one key under another key's id
            if (!key.computeThumbprint().toString().equals(keyId) || !keyId.equals(key.getKeyID())) {
                throw new IllegalArgumentException("the key's kid is not its RFC 7638 thumbprint");
            }
        } catch (ParseException | JOSEException e) {
            throw new IllegalArgumentException("not a JWK: " + e.getMessage());
        }
        if (keyId.equals(own.keyId())) {
            return;
        }
        synchronized (learned) {
            learned.put(keyId, entry(key));
        }
    }

    /** The verifier of key {@code keyId}, if this node knows that key. */
    public Optional<RSASSAVerifier> verifier(String keyId) {
        if (keyId == null) {
            return Optional.empty();
        }
        if (keyId.equals(own.keyId())) {
            return Optional.of(ownEntry.verifier());
        }
        synchronized (learned) {
            Trusted e = learned.get(keyId);
            return e == null ? Optional.empty() : Optional.of(e.verifier());
        }
    }

    /** Every trusted public key as a JWK Set ({@code {"keys":[...]}}), this node's first. */
    public Map<String, Object> jwks() {
        List<JWK> keys = new ArrayList<>();
        keys.add(own.publicJwk());
        synchronized (learned) {
            learned.values().forEach(e -> keys.add(e.key()));
        }
        return new JWKSet(keys).toJSONObject(true);
    }

    private static Trusted entry(RSAKey key) {
        try {
            return new Trusted(key.toPublicJWK(), new RSASSAVerifier(key.toRSAPublicKey()));
        } catch (JOSEException e) {
            throw new IllegalArgumentException("unusable RSA key: " + e.getMessage());
        }
    }
}
