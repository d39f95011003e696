package ai.aegis.schemas.smcp;

import ai.aegis.schemas.topic.CloudEventHeaders;

import java.time.Instant;
import java.util.Objects;

/**
 * An SMCP session: what attestation established for one sandbox (one iteration of an execution), as a record of the
 * compacted topic {@code <prefix>.smcp.sessions.v1}, keyed by the session id. The worker writes it when the sandbox
 * attests, and a tombstone under the same key when the session ends, so any worker node can tell a live session from
 * a dead one; a record with status ended or revoked is read as ended too.
 *
 * @param sessionId       UUID, also the token's {@code sid} claim and the record key
 * @param agentId         the attested agent (the token's {@code sub})
 * @param executionId     the execution the sandbox runs (the token's {@code exec_id})
 * @param iterationNumber the iteration whose sandbox attested
 * @param containerId     what the sandbox gave as its container id (may be empty)
 * @param agentPublicKey  the sandbox's Ed25519 public key, standard base64 of the raw 32 bytes
 * @param securityContext the security context its calls obey
 * @param tokenId         the token's {@code jti}: the one token of this session
 * @param keyId           the {@code kid} of the orchestrator key that signed the token
 * @param status          active, ended or revoked
 * @param createdAt       when attestation succeeded
 * @param expiresAt       the token's expiry
 * @param endedAt         when it ended (null while active)
 * @param reason          why it ended (null while active)
 */
public record SmcpSession(String sessionId, String agentId, String executionId, int iterationNumber,
                          String containerId, String agentPublicKey, String securityContext, String tokenId,
                          String keyId, SmcpSessionStatus status, Instant createdAt, Instant expiresAt,
                          Instant endedAt, String reason) {

    public static final String CE_TYPE = CloudEventHeaders.type("smcp", "session");

    public SmcpSession {
        Objects.requireNonNull(sessionId, "sessionId");
        Objects.requireNonNull(agentId, "agentId");
        Objects.requireNonNull(executionId, "executionId");
        Objects.requireNonNull(agentPublicKey, "agentPublicKey");
        Objects.requireNonNull(securityContext, "securityContext");
        Objects.requireNonNull(tokenId, "tokenId");
        Objects.requireNonNull(keyId, "keyId");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(expiresAt, "expiresAt");
        containerId = containerId == null ? "" : containerId;
    }

    /** The same session, ended (or revoked) at {@code at}. */
    public SmcpSession end(SmcpSessionStatus how, Instant at, String why) {
        return new SmcpSession(sessionId, agentId, executionId, iterationNumber, containerId, agentPublicKey,
                securityContext, tokenId, keyId, how, createdAt, expiresAt, at, why);
    }
}
