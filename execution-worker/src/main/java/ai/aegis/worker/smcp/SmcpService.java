package ai.aegis.worker.smcp;

import ai.aegis.schemas.Ids;
import ai.aegis.schemas.json.Json;
import ai.aegis.schemas.smcp.SmcpSession;
import ai.aegis.schemas.smcp.SmcpSessionStatus;
import ai.aegis.schemas.smcp.SmcpSigningKey;
import ai.aegis.topology.kafka.DurablePublisher;
import ai.aegis.topology.kafka.RecordPublisher;
import ai.aegis.worker.gateway.InnerLoopRegistry;
import ai.aegis.worker.gateway.InnerLoopSession;
import ai.aegis.worker.smcp.crypto.AgentKeys;
import ai.aegis.worker.smcp.crypto.CanonicalJson;
import ai.aegis.worker.smcp.crypto.SecurityTokens;
import ai.aegis.worker.smcp.policy.PolicyViolation;
import ai.aegis.worker.smcp.policy.SecurityContext;
import ai.aegis.worker.smcp.policy.ViolationType;
import ai.aegis.worker.smcp.session.SessionStore;
import ai.aegis.worker.smcp.tools.ToolDescriptor;
import ai.aegis.worker.smcp.tools.ToolInvoker;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;

import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * SMCP on a worker: attestation of the sandboxes it runs ({@code POST /v1/smcp/attest}), signed tool invocations
 * ({@code POST /v1/smcp/invoke}), the tools a context may call and the token keys. Every invocation is checked in
 * full: the token (signature, issuer, audience, expiry), its session (live, the token's own), the timestamp (within
 * the skew), the envelope's Ed25519 signature over the canonical bytes, that the signature is new (replay); then the
 * {@link ToolInvoker} applies the session's security context and routes the call.
 */
public final class SmcpService {

    public static final String PROTOCOL = "smcp/v1";
    private static final System.Logger LOG = System.getLogger(SmcpService.class.getName());

    /** An answer: status, JSON body, extra headers. */
    public record Answer(int status, ObjectNode body, Map<String, String> headers) {
        static Answer of(int status, ObjectNode body) {
            return new Answer(status, body, Map.of());
        }
    }

    private final SmcpConfig config;
    private final InnerLoopRegistry loops;
    private final SecurityTokens tokens;
    private final SessionStore sessions;
    private final ReplayGuard replay;
    private final ToolInvoker invoker;
    private final RecordPublisher publisher;
    private final String sessionsTopic;
    private final SmcpMetrics metrics;
    private final Clock clock;

    public SmcpService(SmcpConfig config, InnerLoopRegistry loops, SecurityTokens tokens, SessionStore sessions,
                       ReplayGuard replay, ToolInvoker invoker, RecordPublisher publisher, String sessionsTopic,
                       SmcpMetrics metrics, Clock clock) {
        this.config = config;
        this.loops = loops;
        this.tokens = tokens;
        this.sessions = sessions;
        this.replay = replay;
        this.invoker = invoker;
        this.publisher = publisher;
        this.sessionsTopic = sessionsTopic;
        this.metrics = metrics;
        this.clock = clock;
    }

    public SmcpMetrics metrics() {
        return metrics;
    }

    /** Publishes this node's public signing key to the sessions topic, so other nodes verify its tokens. */
    public void publishSigningKey(SmcpSigningKey key) throws DurablePublisher.UnavailableException {
        publisher.publish(sessionsTopic, key.recordKey(), Json.writeBytes(key), SmcpSigningKey.CE_TYPE);
    }

    // ---------------------------------------------------------------- attest

    /**
     * Attests a sandbox of this node. It must present its iteration's execution token (which only that sandbox holds)
     * and name the agent and execution it runs. Answers the reference's {@code {security_token, session_id,
     * expires_at}}, or {@code {"error": ...}}.
     */
    public Answer attest(String executionToken, JsonNode body) {
        if (body == null || !body.isObject()) {
            return refuseAttest(400, "body must be a JSON object");
        }
        String agentId = body.path("agent_id").asText(null);
        String executionId = body.path("execution_id").asText(null);
        if (!Ids.isUuid(agentId)) {
            return refuseAttest(400, "Invalid agent ID");
        }
        if (!Ids.isUuid(executionId)) {
            return refuseAttest(400, "Invalid execution ID");
        }
        Ed25519PublicKeyParameters key;
        try {
            key = AgentKeys.parse(body.path("agent_public_key").asText(null));
        } catch (IllegalArgumentException e) {
            return refuseAttest(400, e.getMessage());
        }
        Optional<InnerLoopSession> found = loops.authorised(executionId, executionToken);
        if (found.isEmpty()) {
            return refuseAttest(401, "missing or invalid execution token");
        }
        InnerLoopSession loop = found.get();
        if (!loop.agentId().equalsIgnoreCase(agentId)) {
            return refuseAttest(403, "execution " + executionId + " is not running agent " + agentId);
        }
        String containerId = body.path("container_id").asText("");
        if (!loop.containerMatches(containerId)) {
            return refuseAttest(403, "container_id '" + containerId + "' is not the sandbox of execution "
                    + executionId);
        }
        Instant now = clock.instant();
        String sessionId = UUID.randomUUID().toString();
        String tokenId = UUID.randomUUID().toString();
        Instant expires = now.plus(config.tokenTtl());
        SecurityContext context = loop.securityContext();
        if (!loop.attested(sessionId)) {
            return refuseAttest(409, "this sandbox attested already; one session per iteration");
        }
        String token = tokens.issue(loop.agentId(), loop.executionId(), sessionId, context.name(), tokenId, now,
                expires);
        SmcpSession session = new SmcpSession(sessionId, loop.agentId(), loop.executionId(), loop.iteration(),
                containerId, AgentKeys.encode(key), context.name(), tokenId, tokens.keyId(), SmcpSessionStatus.ACTIVE,
                now, expires, null, null);
        try {
            publisher.publish(sessionsTopic, sessionId, Json.writeBytes(session), SmcpSession.CE_TYPE);
        } catch (DurablePublisher.UnavailableException e) {
            // not durable, not valid: another node could not tell it from a forged one. Nothing was granted (the
            // token is not handed out), so the sandbox may attest again; should the record land late after all,
            // a tombstone follows it
            LOG.log(System.Logger.Level.WARNING, "SMCP attestation of execution " + executionId + " answered 503: "
                    + e.getMessage());
            loop.unattested(sessionId);
            endLater(sessionId, "attestation not durable");
            metrics.attestation("unavailable");
            ObjectNode b = Json.object().put("error", "unavailable");
            return new Answer(503, b, Map.of("Retry-After", "1"));
        }
        sessions.attested(new SessionStore.Live(session, key, loop));
        metrics.attestation("ok");
        ObjectNode out = Json.object();
        out.put("security_token", token);
        out.put("session_id", sessionId);
        out.put("expires_at", expires.toString());
        return Answer.of(200, out);
    }

    /**
     * Ends the session of an iteration whose sandbox is gone ({@code reason} is logged only): refused here at once,
     * and on every node once its tombstone is read. Never throws: a record that cannot be written leaves the session to its expiry elsewhere.
     */
    public void endSession(InnerLoopSession loop, String reason) {
        String sessionId = loop.smcpSessionId();
        if (sessionId == null) {
            return;
        }
        sessions.end(sessionId).ifPresent(s -> endLater(sessionId, reason));
    }

    /**
     * Writes the session's tombstone: an ended session is as good as none, and compaction then drops it, so the
     * topic holds the live sessions (and the keys), not every session there ever was. Off the caller's thread: the
     * iteration's end does not wait for the broker.
     */
    private void endLater(String sessionId, String reason) {
        Thread.ofVirtual().name("smcp-session-end").start(() -> {
            try {
                publisher.publish(sessionsTopic, sessionId, null, SmcpSession.CE_TYPE);
            } catch (DurablePublisher.UnavailableException e) {
                LOG.log(System.Logger.Level.WARNING, "the end of SMCP session " + sessionId + " (" + reason
                        + ") was not written (" + e.getMessage() + "); other nodes take it for live until it "
                        + "expires");
            }
        });
    }

    private Answer refuseAttest(int status, String message) {
        metrics.attestation(status == 401 ? "unauthenticated" : "refused");
        return Answer.of(status, Json.object().put("error", message));
    }

    // ---------------------------------------------------------------- invoke

    public Answer invoke(JsonNode envelope) {
        JsonNode id = envelope != null && envelope.path("payload").has("id") ? envelope.path("payload").get("id")
                : null;
        try {
            return invokeChecked(envelope, id);
        } catch (SmcpException e) {
            metrics.invocation(e.error().wireName());
            return error(id, e.error(), e.getMessage(), e.detail());
        }
    }

    private Answer invokeChecked(JsonNode env, JsonNode id) throws SmcpException {
        if (env == null || !env.isObject()) {
            throw new SmcpException(SmcpError.MALFORMED_ENVELOPE, "the envelope must be a JSON object");
        }
        if (!PROTOCOL.equals(env.path("protocol").asText(null))) {
            throw new SmcpException(SmcpError.MALFORMED_ENVELOPE, "protocol must be \"" + PROTOCOL + "\"");
        }
        JsonNode payload = env.get("payload");
        if (payload == null || !payload.isObject()) {
            throw new SmcpException(SmcpError.MALFORMED_ENVELOPE, "payload must be a JSON-RPC object");
        }
        String token = env.path("security_token").isTextual() ? env.get("security_token").asText() : null;
        byte[] signature = signature(env.get("signature"));
        long timestamp = timestamp(env.get("timestamp"));

        // the cheap refusal first: a stale envelope costs no RS256 and no Ed25519 verification
        long now = clock.instant().getEpochSecond();
        if (Math.abs(now - timestamp) > config.clockSkew().toSeconds()) {
            throw new SmcpException(SmcpError.REPLAY_REFUSED, "timestamp is more than "
                    + config.clockSkew().toSeconds() + " s from the orchestrator's time");
        }
        SecurityTokens.Claims claims = tokens.verify(token);
        SessionStore.Found found = sessions.find(claims.sessionId())
                .orElseThrow(() -> new SmcpException(SmcpError.INVALID_TOKEN, "no live session for this token"));
        SmcpSession session = found.session();
        if (session.status() == SmcpSessionStatus.REVOKED) {
            throw new SmcpException(SmcpError.SESSION_REVOKED, "the session was revoked: " + session.reason());
        }
        if (session.status() != SmcpSessionStatus.ACTIVE) {
            throw new SmcpException(SmcpError.SESSION_EXPIRED, "the session ended: " + session.reason());
        }
        if (!session.tokenId().equals(claims.tokenId()) || !session.executionId().equals(claims.executionId())) {
            throw new SmcpException(SmcpError.INVALID_TOKEN, "the token is not its session's");
        }
        ObjectNode signed = Json.object();
        signed.set("payload", payload);
        signed.put("security_token", token);
        signed.put("timestamp", timestamp);
        if (!AgentKeys.verify(found.agentKey(), CanonicalJson.bytes(signed), signature)) {
            metrics.signatureFailure();
            throw new SmcpException(SmcpError.SIGNATURE_INVALID, "the envelope's signature does not verify with "
                    + "the session's key");
        }
        replay.admit(signature, timestamp, now);

        String tool;
        JsonNode arguments;
        if ("tools/call".equals(payload.path("method").asText())) {
            tool = payload.path("params").path("name").asText(null);
            arguments = payload.path("params").get("arguments");
        } else {
            tool = payload.path("method").asText(null);
            arguments = payload.get("params");
        }
        if (tool == null || tool.isBlank()) {
            throw new SmcpException(SmcpError.MALFORMED_ENVELOPE, "the payload names no tool (params.name)");
        }
        SecurityContext context = config.securityContexts().get(session.securityContext())
                .orElseThrow(() -> new SmcpException(SmcpError.TOOL_FAILED, "security context '"
                        + session.securityContext() + "' is not configured on this worker"));
        InnerLoopSession loop = found.loop();
        ToolInvoker.Outcome outcome = invoker.invoke(new ToolInvoker.Call(session.executionId(),
                session.iterationNumber(), session.sessionId(), context, loop == null ? null : loop.tools(), tool,
                arguments));
        return switch (outcome) {
            case ToolInvoker.Result r -> ok(id, r.value());
            case ToolInvoker.Dispatch d -> {
                ObjectNode result = Json.object();
                result.put("status", "dispatch_required");
                result.set("dispatch", d.action());
                yield ok(id, result);
            }
            case ToolInvoker.Refused r -> throw refused(r.violation(), loop, id);
            case ToolInvoker.Failed f -> throw new SmcpException(f.error(), f.message());
        };
    }

    private Answer ok(JsonNode id, JsonNode result) {
        metrics.invocation("ok");
        ObjectNode body = Json.object();
        body.put("jsonrpc", "2.0");
        body.set("id", id);
        body.set("result", result);
        return Answer.of(200, body);
    }

    /** The answer to a body that is not JSON at all. */
    public Answer notJson() {
        metrics.invocation(SmcpError.MALFORMED_ENVELOPE.wireName());
        return error(null, SmcpError.MALFORMED_ENVELOPE, "Malformed JSON", null);
    }

    private SmcpException refused(PolicyViolation v, InnerLoopSession loop, JsonNode id) {
        metrics.violation(v.type().wireName());
        if (loop != null) { // a session of another node: counted here, reported by nobody (no iteration here)
            loop.policyViolation(id == null || id.isNull() ? null : id.asText(), v, "smcp");
        }
        return new SmcpException(v.type() == ViolationType.RATE_LIMIT_EXCEEDED ? SmcpError.RATE_LIMITED
                : SmcpError.POLICY_VIOLATION, v.message(), v);
    }

    private static Answer error(JsonNode id, SmcpError error, String message, Object detail) {
        ObjectNode body = Json.object();
        body.put("jsonrpc", "2.0");
        body.set("id", id);
        ObjectNode e = body.putObject("error");
        e.put("code", error.jsonRpcCode());
        e.put("message", message);
        ObjectNode data = e.putObject("data");
        data.put("type", error.wireName());
        Map<String, String> headers = new LinkedHashMap<>();
        if (detail instanceof PolicyViolation v) {
            data.put("violation_type", v.type().wireName());
            data.put("tool", v.tool());
            if (v.type() == ViolationType.RATE_LIMIT_EXCEEDED) {
                long retry = Math.max(1, v.retryAfterSeconds());
                data.put("retry_after_seconds", retry);
                headers.put("Retry-After", Long.toString(retry));
                headers.put("X-RateLimit-Limit", Integer.toString(v.limit()));
                headers.put("X-RateLimit-Remaining", "0");
                headers.put("X-RateLimit-Reset", Long.toString(retry));
            }
        }
        if (error == SmcpError.UNAVAILABLE) {
            headers.put("Retry-After", "1");
        }
        return new Answer(error.httpStatus(), body, headers);
    }

    private static byte[] signature(JsonNode node) throws SmcpException {
        if (node == null || !node.isTextual()) {
            throw new SmcpException(SmcpError.MALFORMED_ENVELOPE, "signature must be a base64 string");
        }
        try {
            byte[] sig = Base64.getDecoder().decode(node.asText());
            if (sig.length != 64) {
                throw new SmcpException(SmcpError.MALFORMED_ENVELOPE, "signature must be 64 bytes (Ed25519)");
            }
            return sig;
        } catch (IllegalArgumentException e) {
            throw new SmcpException(SmcpError.MALFORMED_ENVELOPE, "signature is not base64");
        }
    }

    /** RFC 3339 (as the reference) or integer Unix seconds; the signed bytes carry the integer. */
    private static long timestamp(JsonNode node) throws SmcpException {
        if (node != null && node.isIntegralNumber()) {
            return node.asLong();
        }
        if (node != null && node.isTextual()) {
            try {
                return Instant.parse(node.asText()).getEpochSecond();
            } catch (DateTimeParseException e) {
                try {
                    return java.time.OffsetDateTime.parse(node.asText()).toInstant().getEpochSecond();
                } catch (DateTimeParseException e2) {
                    throw new SmcpException(SmcpError.MALFORMED_ENVELOPE, "timestamp is not RFC 3339");
                }
            }
        }
        throw new SmcpException(SmcpError.MALFORMED_ENVELOPE, "timestamp is required (RFC 3339)");
    }

    // ---------------------------------------------------------------- tools, keys

    /** {@code GET /v1/smcp/tools?security_context=}: what a context lets an agent call (the default context without). */
    public Answer tools(String contextName) {
        String name = contextName == null || contextName.isBlank() ? config.defaultSecurityContext() : contextName;
        Optional<SecurityContext> context = config.securityContexts().get(name);
        if (context.isEmpty()) {
            return Answer.of(404, Json.object().put("error", "Security context not found"));
        }
        ObjectNode out = Json.object();
        out.put("protocol", PROTOCOL);
        out.put("attestation_endpoint", "/v1/smcp/attest");
        out.put("invoke_endpoint", "/v1/smcp/invoke");
        out.put("security_context", name);
        ArrayNode list = out.putArray("tools");
        for (ToolDescriptor d : invoker.catalogue().allowedBy(context.get())) {
            ObjectNode t = list.addObject();
            t.put("name", d.name());
            t.put("description", d.description());
            t.set("input_schema", d.inputSchema());
            t.put("source", d.source());
        }
        return Answer.of(200, out);
    }

    public Answer jwks(Map<String, Object> keys) {
        return Answer.of(200, (ObjectNode) Json.toTree(keys));
    }
}
