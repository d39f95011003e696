package ai.aegis.schemas.smcp;

import ai.aegis.schemas.topic.CloudEventHeaders;
import com.fasterxml.jackson.databind.JsonNode;

import java.time.Instant;
import java.util.Objects;

/**
 * The public half of a worker's token-signing key, as a record of {@code <prefix>.smcp.sessions.v1} keyed
 * {@code jwk:<kid>}: every node learns every node's key from the topic, so a token signed by one verifies on any, and
 * the JWKS each serves lists them all.
 *
 * @param keyId       the JWK's {@code kid} (its RFC 7638 thumbprint)
 * @param jwk         the public JWK (RSA, {@code use: sig}, {@code alg: RS256})
 * @param publishedAt when the node published it
 */
public record SmcpSigningKey(String keyId, JsonNode jwk, Instant publishedAt) {

    public static final String CE_TYPE = CloudEventHeaders.type("smcp", "signing_key");
    /** Record keys of signing keys start with this; every other key is a session id. */
    public static final String KEY_PREFIX = "jwk:";

    public SmcpSigningKey {
        Objects.requireNonNull(keyId, "keyId");
        Objects.requireNonNull(jwk, "jwk");
        Objects.requireNonNull(publishedAt, "publishedAt");
    }

    public String recordKey() {
        return KEY_PREFIX + keyId;
    }
}
