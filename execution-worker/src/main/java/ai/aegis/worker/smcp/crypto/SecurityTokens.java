package ai.aegis.worker.smcp.crypto;

import ai.aegis.worker.smcp.SmcpError;
import ai.aegis.worker.smcp.SmcpException;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;

import java.text.ParseException;
import java.time.Clock;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Optional;

/**
 * SMCP security tokens: JWTs (RS256) that the orchestrator signs at attestation and verifies on every invocation.
 * Claims: {@code iss}, {@code aud}, {@code sub} (the agent), {@code exec_id}, {@code sid} (the session),
 * {@code security_context}, {@code iat}, {@code exp}, {@code jti}. A token verifies when its signature is that of a
 * key of the {@link KeyRing}, its issuer and audience are this installation's and it has not expired; whether its
 * session is still live is the session store's question.
 */
public final class SecurityTokens {

    /** What a verified token says. */
    public record Claims(String agentId, String executionId, String sessionId, String securityContext,
                         String tokenId, Instant issuedAt, Instant expiresAt, String keyId) {
    }

    private static final JOSEObjectType TYPE = new JOSEObjectType("smcp+jwt");

    private final KeyRing keys;
    private final RSASSASigner signer;
    private final String issuer;
    private final String audience;
    private final Clock clock;

    public SecurityTokens(KeyRing keys, String issuer, String audience, Clock clock) {
        this.keys = keys;
        this.issuer = issuer;
        this.audience = audience;
        this.clock = clock;
        try {
            this.signer = new RSASSASigner(keys.own().privateJwk());
        } catch (JOSEException e) {
            throw new IllegalArgumentException("unusable signing key: " + e.getMessage());
        }
    }

    /** The {@code kid} of the key this node signs with. */
    public String keyId() {
        return keys.own().keyId();
    }

    /** Signs the token of a new session. */
    public String issue(String agentId, String executionId, String sessionId, String securityContext,
                        String tokenId, Instant issuedAt, Instant expiresAt) {
        JWTClaimsSet claims = new JWTClaimsSet.Builder()
                .issuer(issuer)
                .audience(audience)
                .subject(agentId)
                .claim("exec_id", executionId)
                .claim("sid", sessionId)
                .claim("security_context", securityContext)
                .issueTime(Date.from(issuedAt))
                .expirationTime(Date.from(expiresAt))
                .jwtID(tokenId)
                .build();
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).type(TYPE)
                .keyID(keys.own().keyId()).build(), claims);
        try {
            jwt.sign(signer);
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot sign an SMCP token", e);
        }
        return jwt.serialize();
    }

    /** Verifies signature, issuer, audience and expiry. */
    public Claims verify(String token) throws SmcpException {
        if (token == null || token.isBlank()) {
            throw new SmcpException(SmcpError.MALFORMED_ENVELOPE, "security_token is required");
        }
        SignedJWT jwt;
        try {
            jwt = SignedJWT.parse(token);
        } catch (ParseException e) {
            throw new SmcpException(SmcpError.INVALID_TOKEN, "security_token is not a JWT");
        }
        if (!JWSAlgorithm.RS256.equals(jwt.getHeader().getAlgorithm())) {
            throw new SmcpException(SmcpError.INVALID_TOKEN, "security_token is not signed with RS256");
        }
        String keyId = jwt.getHeader().getKeyID();
        Optional<RSASSAVerifier> verifier = keys.verifier(keyId);
        if (verifier.isEmpty()) {
            throw new SmcpException(SmcpError.INVALID_TOKEN, "security_token is signed by an unknown key");
        }
        try {
            if (!jwt.verify(verifier.get())) {
                throw new SmcpException(SmcpError.INVALID_TOKEN, "security_token signature does not verify");
            }
            JWTClaimsSet c = jwt.getJWTClaimsSet();
            if (!issuer.equals(c.getIssuer())) {
                throw new SmcpException(SmcpError.INVALID_TOKEN, "security_token has another issuer");
            }
            List<String> aud = c.getAudience();
            if (aud == null || !aud.contains(audience)) {
                throw new SmcpException(SmcpError.INVALID_TOKEN, "security_token is not meant for " + audience);
            }
            Date exp = c.getExpirationTime();
            if (exp == null || !clock.instant().isBefore(exp.toInstant())) {
                throw new SmcpException(SmcpError.SESSION_EXPIRED, "security_token has expired");
            }
            String sid = c.getStringClaim("sid");
            String execId = c.getStringClaim("exec_id");
            if (sid == null || execId == null || c.getSubject() == null || c.getJWTID() == null) {
                throw new SmcpException(SmcpError.INVALID_TOKEN, "security_token lacks SMCP claims");
            }
            return new Claims(c.getSubject(), execId, sid, c.getStringClaim("security_context"), c.getJWTID(),
                    c.getIssueTime() == null ? null : c.getIssueTime().toInstant(), exp.toInstant(), keyId);
        } catch (JOSEException | ParseException e) {
            throw new SmcpException(SmcpError.INVALID_TOKEN, "security_token does not verify: " + e.getMessage());
        }
    }
}
