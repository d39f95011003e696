package ai.aegis.worker.smcp.crypto;

import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;

import java.util.Base64;

/**
 * Agents' Ed25519 public keys and the check of their signatures, with BouncyCastle's lightweight API (several times
 * faster than the JDK's provider, side by side in {@code aegis bench --scenario smcp}; no provider lookup per call).
 */
public final class AgentKeys {

    /** The DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410): 12 bytes, then the raw 32-byte key. */
    private static final byte[] SPKI_PREFIX = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};

    private AgentKeys() {
    }

    /**
     * Reads a public key given as standard or URL-safe base64 of the raw 32 bytes, or as a PEM (or base64 DER)
     * SubjectPublicKeyInfo.
     *
     * @throws IllegalArgumentException saying what is wrong with it
     */
    public static Ed25519PublicKeyParameters parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("agent_public_key is required");
        }
        String body = text.strip();
        if (body.startsWith("-----BEGIN")) {
            body = body.replaceAll("-----(BEGIN|END) [A-Z ]+-----", "").replaceAll("\\s", "");
        }
        byte[] bytes;
        try {
            bytes = body.indexOf('-') >= 0 || body.indexOf('_') >= 0 ? Base64.getUrlDecoder().decode(body)
                    : Base64.getDecoder().decode(body);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("agent_public_key is not base64");
        }
        if (bytes.length == SPKI_PREFIX.length + 32 && startsWith(bytes, SPKI_PREFIX)) {
            byte[] raw = new byte[32];
            System.arraycopy(bytes, SPKI_PREFIX.length, raw, 0, 32);
            bytes = raw;
        }
        if (bytes.length != 32) {
            throw new IllegalArgumentException("agent_public_key must be a 32-byte Ed25519 key (got " + bytes.length
                    + " bytes)");
        }
        return new Ed25519PublicKeyParameters(bytes, 0);
    }

    /** Standard base64 of the raw key, the form sessions keep. */
    public static String encode(Ed25519PublicKeyParameters key) {
        return Base64.getEncoder().encodeToString(key.getEncoded());
    }

    /** Whether {@code signature} (64 bytes) is {@code key}'s over {@code message}. */
    public static boolean verify(Ed25519PublicKeyParameters key, byte[] message, byte[] signature) {
        if (signature == null || signature.length != Ed25519PublicKeyParameters.KEY_SIZE * 2) {
            return false;
        }
        Ed25519Signer verifier = new Ed25519Signer();
        verifier.init(false, key);
        verifier.update(message, 0, message.length);
        return verifier.verifySignature(signature);
    }

    private static boolean startsWith(byte[] bytes, byte[] prefix) {
        for (int i = 0; i < prefix.length; i++) {
            if (bytes[i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }
}
