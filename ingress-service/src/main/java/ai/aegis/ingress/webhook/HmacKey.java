package ai.aegis.ingress.webhook;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.util.concurrent.atomic.LongAdder;

/**
 * One secret as an HMAC-SHA256 key. {@link Mac} is not thread-safe and a node verifies on many virtual threads at
 * once, so each verification gets its own: a {@code clone()} of a prototype initialised once here (the JDK's
 * HmacSHA256 is cloneable; a clone copies the digest state and the padded keys, with no provider lookup and no key
 * schedule). A {@code ThreadLocal} cache would hold one {@code Mac} per virtual thread, that is per request, and
 * help nothing. When the provider's {@code Mac} is not cloneable, each verification falls back to
 * {@code Mac.getInstance} and {@code init}, counted in {@code lookups}.
 */
final class HmacKey {

    static final String ALGORITHM = "HmacSHA256";

    private final SecretKeySpec key;
    private final Mac prototype;
    private final boolean cloneable;
    private final LongAdder lookups;

    /** @param lookups counts every {@code Mac.getInstance} (this one's included), for the tests and a metric */
    HmacKey(byte[] secret, LongAdder lookups) {
        this.key = new SecretKeySpec(secret, ALGORITHM);
        this.lookups = lookups;
        this.prototype = newMac();
        boolean canClone;
        try {
            prototype.clone();
            canClone = true;
        } catch (CloneNotSupportedException e) {
            canClone = false;
        }
        this.cloneable = canClone;
    }

    /** HMAC-SHA256 of the parts, concatenated. Thread-safe. */
    byte[] sign(byte[]... parts) {
        Mac mac = fresh();
        for (byte[] part : parts) {
            mac.update(part);
        }
        return mac.doFinal();
    }

    boolean cloneable() {
        return cloneable;
    }

    private Mac fresh() {
        if (cloneable) {
            try {
                // the prototype is never updated after init, so concurrent clones only read it
                return (Mac) prototype.clone();
            } catch (CloneNotSupportedException e) {
                // checked once in the constructor; fall through to a new instance if a provider changes its mind
            }
        }
        return newMac();
    }

    private Mac newMac() {
        try {
            Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(key);
            lookups.increment();
            return mac;
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            // every Java platform has HmacSHA256, and it takes any non-empty key
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }

    /** Never the key. */
    @Override
    public String toString() {
        return "HmacKey[redacted]";
    }
}
