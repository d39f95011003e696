package ai.aegis.worker.smcp;

import ai.aegis.schemas.execution.ExecutionEvent;
import ai.aegis.schemas.json.Json;
import ai.aegis.schemas.smcp.SmcpSession;
import ai.aegis.topology.kafka.RecordPublisher;
import ai.aegis.worker.execution.RecordingSink;
import ai.aegis.worker.gateway.InnerLoopRegistry;
import ai.aegis.worker.gateway.InnerLoopSession;
import ai.aegis.worker.smcp.crypto.CanonicalJson;
import ai.aegis.worker.smcp.crypto.KeyRing;
import ai.aegis.worker.smcp.crypto.SecurityTokens;
import ai.aegis.worker.smcp.crypto.SigningKey;
import ai.aegis.worker.smcp.mcp.McpServerConfig;
import ai.aegis.worker.smcp.mcp.McpServers;
import ai.aegis.worker.smcp.policy.Capability;
import ai.aegis.worker.smcp.policy.RateLimit;
import ai.aegis.worker.smcp.policy.RateLimiter;
import ai.aegis.worker.smcp.policy.SecurityContext;
import ai.aegis.worker.smcp.policy.SecurityContexts;
import ai.aegis.worker.smcp.session.SessionStore;
import ai.aegis.worker.smcp.tools.ToolCatalogue;
import ai.aegis.worker.smcp.tools.ToolInvoker;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jwt.SignedJWT;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.HttpRouting;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * SMCP through its real HTTP endpoints on a Helidon listener, with real tokens, real Ed25519 signatures and a real
 * MCP server process: attestation, then the signature vectors of an invocation (valid, tampered, wrong key, expired
 * token, stale timestamp, replay, another execution's token), policy refusals and their status codes.
 */
class SmcpHttpTest {

    private static final String TOPIC = "test.smcp.sessions.v1";
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final MovableClock CLOCK = new MovableClock(Instant.now());
    private static final List<String[]> PUBLISHED = new CopyOnWriteArrayList<>();
    private static final java.util.concurrent.atomic.AtomicBoolean FAIL_NEXT_PUBLISH =
            new java.util.concurrent.atomic.AtomicBoolean();
    private static final RecordingSink EVENTS = new RecordingSink();
    private static final InnerLoopRegistry LOOPS = new InnerLoopRegistry();
    private static final SecurityContext CONTEXT = new SecurityContext("test-tools", "for the test", List.of(
            new Capability("notes.list_notes", null, null, null, null, new RateLimit(2, Duration.ofMinutes(10)), null),
            Capability.of("notes.*"),
            new Capability("fs.*", List.of("/workspace"), null, null, null, null, null),
            new Capability("cmd.run", null, List.of("echo"), null, null, null, null)), Set.of("notes.fail"));

    private static WebServer server;
    private static McpServers mcp;
    private static SmcpService smcp;
    private static SigningKey key;
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        RecordPublisher publisher = (topic, k, value, ceType) -> {
            if (FAIL_NEXT_PUBLISH.getAndSet(false)) {
                throw new ai.aegis.topology.kafka.DurablePublisher.UnavailableException("the partition moves", null);
            }
            PUBLISHED.add(new String[] {topic, k, value == null ? null : new String(value), ceType});
            return new RecordMetadata(new TopicPartition(topic, 0), 0, 0, 0, 0, 0);
        };
        SmcpConfig config = SmcpConfig.builder().tokenTtl(Duration.ofMinutes(10))
                .securityContexts(SecurityContexts.of(List.of(CONTEXT))).build();
        key = SigningKey.ephemeral();
        KeyRing keys = new KeyRing(key, 10);
        Path script = Path.of(SmcpHttpTest.class.getResource("/ai/aegis/worker/smcp/mcp/notes_mcp_server.py")
                .toURI());
        mcp = new McpServers(List.of(McpServerConfig.stdio("notes", List.of("/usr/bin/python3", script.toString()))
                .build()));
        ToolInvoker invoker = new ToolInvoker(new ToolCatalogue(mcp), mcp, new RateLimiter(100), 65_536);
        smcp = new SmcpService(config, LOOPS, new SecurityTokens(keys, config.issuer(), config.audience(), CLOCK),
                new SessionStore(100, keys), new ReplayGuard(1000, 30), invoker, publisher, TOPIC, new SmcpMetrics(),
                CLOCK);
        HttpRouting.Builder routing = HttpRouting.builder();
        SmcpRoutes.install(routing, smcp, keys);
        server = WebServer.builder().host("127.0.0.1").port(0).routing(routing).build().start();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.stop();
        }
        if (mcp != null) {
            mcp.close();
        }
    }

    /** A sandbox of an iteration that is running, with its own execution token and Ed25519 key. */
    private record Sandbox(InnerLoopSession loop, String executionToken, Ed25519PrivateKeyParameters privateKey) {
        String publicKey() {
            return Base64.getEncoder().encodeToString(privateKey.generatePublicKey().getEncoded());
        }
    }

    private static Sandbox sandbox() {
        String token = UUID.randomUUID().toString();
        InnerLoopSession loop = new InnerLoopSession(UUID.randomUUID().toString(), UUID.randomUUID().toString(), 1,
                token, List.of("fs.*", "cmd.run", "notes.*"), "default", CONTEXT, EVENTS);
        LOOPS.register(loop);
        return new Sandbox(loop, token, new Ed25519PrivateKeyParameters(RANDOM));
    }

    private static HttpResponse<String> post(String path, String bearer, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .POST(HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/json");
        if (bearer != null) {
            b.header("Authorization", "Bearer " + bearer);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> attest(Sandbox s) throws Exception {
        return post(SmcpRoutes.ATTEST, s.executionToken(), Json.write(Map.of("agent_id", s.loop().agentId(),
                "execution_id", s.loop().executionId(), "container_id", "c-1", "agent_public_key", s.publicKey())));
    }

    private static String attested(Sandbox s) throws Exception {
        HttpResponse<String> r = attest(s);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return Json.tree(r.body()).get("security_token").asText();
    }

    private static ObjectNode payload(String tool, String argumentsJson) {
        ObjectNode p = Json.object();
        p.put("jsonrpc", "2.0");
        p.put("id", UUID.randomUUID().toString());
        p.put("method", "tools/call");
        p.putObject("params").put("name", tool).set("arguments", Json.tree(argumentsJson));
        return p;
    }

    /** An envelope signed by {@code signer} at {@code at}, as bootstrap.py builds one. */
    private static ObjectNode envelope(String token, ObjectNode payload, Ed25519PrivateKeyParameters signer,
                                       Instant at) {
        ObjectNode signed = Json.object();
        signed.set("payload", payload);
        signed.put("security_token", token);
        signed.put("timestamp", at.getEpochSecond());
        byte[] bytes = CanonicalJson.bytes(signed);
        Ed25519Signer s = new Ed25519Signer();
        s.init(true, signer);
        s.update(bytes, 0, bytes.length);
        ObjectNode env = Json.object();
        env.put("protocol", "smcp/v1");
        env.put("security_token", token);
        env.put("timestamp", at.toString());
        env.set("payload", payload);
        env.put("signature", Base64.getEncoder().encodeToString(s.generateSignature()));
        return env;
    }

    private static HttpResponse<String> invoke(JsonNode envelope) throws Exception {
        return post(SmcpRoutes.INVOKE, null, Json.write(envelope));
    }

    private static JsonNode error(HttpResponse<String> r, int status, int code) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        JsonNode body = Json.tree(r.body());
        assertThat(body.get("jsonrpc").asText()).isEqualTo("2.0");
        assertThat(body.get("error").get("code").asInt()).as(r.body()).isEqualTo(code);
        return body.get("error");
    }

    // ---------------------------------------------------------------- attestation

    @Test
    void attestationIssuesASignedTokenAndMakesTheSessionDurableFirst() throws Exception {
        Sandbox s = sandbox();
        int before = PUBLISHED.size();

        HttpResponse<String> r = attest(s);

        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode body = Json.tree(r.body());
        String sessionId = body.get("session_id").asText();
        assertThat(Instant.parse(body.get("expires_at").asText())).isEqualTo(CLOCK.instant().plus(Duration.ofMinutes(10)));
        SignedJWT jwt = SignedJWT.parse(body.get("security_token").asText());
        assertThat(jwt.getHeader().getKeyID()).isEqualTo(key.keyId());
        var claims = jwt.getJWTClaimsSet();
        assertThat(claims.getSubject()).isEqualTo(s.loop().agentId());
        assertThat(claims.getStringClaim("exec_id")).isEqualTo(s.loop().executionId());
        assertThat(claims.getStringClaim("sid")).isEqualTo(sessionId);
        assertThat(claims.getStringClaim("security_context")).isEqualTo("test-tools");
        assertThat(claims.getIssuer()).isEqualTo(SmcpConfig.DEFAULT_ISSUER);
        assertThat(claims.getAudience()).containsExactly(SmcpConfig.DEFAULT_AUDIENCE);
        assertThat(claims.getJWTID()).isNotBlank();
        String[] record = PUBLISHED.get(before);
        assertThat(record[0]).isEqualTo(TOPIC);
        assertThat(record[1]).isEqualTo(sessionId);
        SmcpSession session = Json.read(record[2], SmcpSession.class);
        assertThat(session.agentPublicKey()).isEqualTo(s.publicKey());
        assertThat(session.containerId()).isEqualTo("c-1");
        assertThat(session.tokenId()).isEqualTo(claims.getJWTID());
        assertThat(s.loop().smcpSessionId()).isEqualTo(sessionId);

        // one session per iteration
        assertThat(attest(s).statusCode()).isEqualTo(409);
    }

    @Test
    void anAttestationKafkaDidNotTakeIs503AndMayBeTriedAgain() throws Exception {
        Sandbox s = sandbox();
        FAIL_NEXT_PUBLISH.set(true);

        HttpResponse<String> refused = attest(s);

        assertThat(refused.statusCode()).isEqualTo(503);
        assertThat(refused.headers().firstValue("Retry-After")).isPresent();
        assertThat(s.loop().smcpSessionId()).isNull();
        assertThat(attest(s).statusCode()).isEqualTo(200);
    }

    @Test
    void attestationNeedsTheIterationsOwnTokenAgentAndAKey() throws Exception {
        Sandbox s = sandbox();
        Map<String, String> good = Map.of("agent_id", s.loop().agentId(), "execution_id", s.loop().executionId(),
                "agent_public_key", s.publicKey());

        assertThat(post(SmcpRoutes.ATTEST, "wrong", Json.write(good)).statusCode()).isEqualTo(401);
        assertThat(post(SmcpRoutes.ATTEST, null, Json.write(good)).statusCode()).isEqualTo(401);
        HttpResponse<String> otherAgent = post(SmcpRoutes.ATTEST, s.executionToken(), Json.write(Map.of("agent_id",
                UUID.randomUUID().toString(), "execution_id", s.loop().executionId(), "agent_public_key",
                s.publicKey())));
        assertThat(otherAgent.statusCode()).isEqualTo(403);
        HttpResponse<String> badKey = post(SmcpRoutes.ATTEST, s.executionToken(), Json.write(Map.of("agent_id",
                s.loop().agentId(), "execution_id", s.loop().executionId(), "agent_public_key", "AAAA")));
        assertThat(badKey.statusCode()).isEqualTo(400);
        assertThat(Json.tree(badKey.body()).get("error").asText()).contains("32-byte");
        assertThat(post(SmcpRoutes.ATTEST, s.executionToken(), "{\"agent_id\":\"x\"}").body())
                .contains("Invalid agent ID");
        assertThat(post(SmcpRoutes.ATTEST, s.executionToken(), "not json").statusCode()).isEqualTo(400);
        // none of that attested: the real one still can
        assertThat(attest(s).statusCode()).isEqualTo(200);
    }

    @Test
    void whereTheRuntimeKnowsTheContainerTheAttestationMustNameIt() throws Exception {
        Sandbox s = sandbox();
        String id = "3f2a9c1b7d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8";
        s.loop().sandboxCreated(id);
        Map<String, String> body = new java.util.HashMap<>(Map.of("agent_id", s.loop().agentId(), "execution_id",
                s.loop().executionId(), "agent_public_key", s.publicKey(), "container_id", "c-1"));

        assertThat(post(SmcpRoutes.ATTEST, s.executionToken(), Json.write(body)).statusCode()).isEqualTo(403);
        body.put("container_id", id.substring(0, 8));
        assertThat(post(SmcpRoutes.ATTEST, s.executionToken(), Json.write(body)).statusCode()).isEqualTo(403);
        body.put("container_id", id.substring(0, 12)); // Docker's hostname in the container
        assertThat(post(SmcpRoutes.ATTEST, s.executionToken(), Json.write(body)).statusCode()).isEqualTo(200);
    }

    // ---------------------------------------------------------------- the signature vectors

    @Test
    void aValidEnvelopeCallsARealMcpTool() throws Exception {
        Sandbox s = sandbox();
        String token = attested(s);
        ObjectNode payload = payload("notes.add_note", "{\"text\":\"sígned ✓\"}");

        HttpResponse<String> r = invoke(envelope(token, payload, s.privateKey(), CLOCK.instant()));

        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode body = Json.tree(r.body());
        assertThat(body.get("id").asText()).isEqualTo(payload.get("id").asText());
        assertThat(body.get("result").get("content").get(0).get("text").asText()).isEqualTo("noted: sígned ✓");
    }

    @Test
    void aTamperedPayloadIsRefused() throws Exception {
        Sandbox s = sandbox();
        String token = attested(s);
        ObjectNode env = envelope(token, payload("notes.add_note", "{\"text\":\"harmless\"}"), s.privateKey(),
                CLOCK.instant());
        ((ObjectNode) env.get("payload").get("params").get("arguments")).put("text", "changed in transit");

        JsonNode e = error(invoke(env), 401, -32000);
        assertThat(e.get("data").get("type").asText()).isEqualTo("signature_invalid");
    }

    @Test
    void anEnvelopeSignedWithAnotherKeyIsRefused() throws Exception {
        Sandbox s = sandbox();
        String token = attested(s);

        error(invoke(envelope(token, payload("notes.add_note", "{\"text\":\"x\"}"),
                new Ed25519PrivateKeyParameters(RANDOM), CLOCK.instant())), 401, -32000);
    }

    @Test
    void anotherExecutionsTokenIsRefused() throws Exception {
        Sandbox mine = sandbox();
        Sandbox other = sandbox();
        attested(mine);
        String othersToken = attested(other);

        // another execution's token under my key: not the key of that token's session
        error(invoke(envelope(othersToken, payload("notes.add_note", "{\"text\":\"x\"}"), mine.privateKey(),
                CLOCK.instant())), 401, -32000);
        // a token that is not one the orchestrator signed (another issuer's key) at all
        SigningKey foreign = SigningKey.ephemeral();
        String forged = new SecurityTokens(new KeyRing(foreign, 1), SmcpConfig.DEFAULT_ISSUER,
                SmcpConfig.DEFAULT_AUDIENCE, CLOCK).issue(mine.loop().agentId(), mine.loop().executionId(),
                mine.loop().smcpSessionId(), "aegis-system-operator", UUID.randomUUID().toString(), CLOCK.instant(),
                CLOCK.instant().plusSeconds(60));
        JsonNode e = error(invoke(envelope(forged, payload("notes.add_note", "{\"text\":\"x\"}"), mine.privateKey(),
                CLOCK.instant())), 401, -32000);
        assertThat(e.get("message").asText()).contains("unknown key");
    }

    @Test
    void aStaleTimestampIsRefused() throws Exception {
        Sandbox s = sandbox();
        String token = attested(s);

        error(invoke(envelope(token, payload("notes.add_note", "{\"text\":\"x\"}"), s.privateKey(),
                CLOCK.instant().minusSeconds(31))), 400, -32600);
        error(invoke(envelope(token, payload("notes.add_note", "{\"text\":\"x\"}"), s.privateKey(),
                CLOCK.instant().plusSeconds(31))), 400, -32600);
        // within the skew is fine
        assertThat(invoke(envelope(token, payload("notes.add_note", "{\"text\":\"x\"}"), s.privateKey(),
                CLOCK.instant().minusSeconds(25))).statusCode()).isEqualTo(200);
    }

    @Test
    void aReplayedEnvelopeIsRefused() throws Exception {
        Sandbox s = sandbox();
        String token = attested(s);
        ObjectNode env = envelope(token, payload("notes.add_note", "{\"text\":\"once\"}"), s.privateKey(),
                CLOCK.instant());

        assertThat(invoke(env).statusCode()).isEqualTo(200);
        JsonNode e = error(invoke(env), 400, -32600);
        assertThat(e.get("message").asText()).contains("seen before");
    }

    @Test
    void anExpiredTokenIsRefused() throws Exception {
        Sandbox s = sandbox();
        String token = attested(s);
        CLOCK.advance(Duration.ofMinutes(10).plusSeconds(1));
        try {
            JsonNode e = error(invoke(envelope(token, payload("notes.add_note", "{\"text\":\"x\"}"), s.privateKey(),
                    CLOCK.instant())), 401, -32000);
            assertThat(e.get("data").get("type").asText()).isEqualTo("session_expired");
        } finally {
            CLOCK.advance(Duration.ofMinutes(-10).minusSeconds(1));
        }
    }

    @Test
    void aSessionEndsWithItsIteration() throws Exception {
        Sandbox s = sandbox();
        String token = attested(s);
        LOOPS.remove(s.loop());
        smcp.endSession(s.loop(), "iteration ended");

        error(invoke(envelope(token, payload("notes.add_note", "{\"text\":\"x\"}"), s.privateKey(),
                CLOCK.instant())), 401, -32000);
    }

    @Test
    void malformedEnvelopesAre400s() throws Exception {
        Sandbox s = sandbox();
        String token = attested(s);
        ObjectNode env = envelope(token, payload("notes.add_note", "{\"text\":\"x\"}"), s.privateKey(),
                CLOCK.instant());

        error(post(SmcpRoutes.INVOKE, null, "not json"), 400, -32600);
        error(invoke(env.deepCopy().put("protocol", "mcp")), 400, -32600);
        ObjectNode noTimestamp = env.deepCopy();
        noTimestamp.remove("timestamp");
        error(invoke(noTimestamp), 400, -32600);
        error(invoke(env.deepCopy().put("signature", "short")), 400, -32600);
    }

    // ---------------------------------------------------------------- policy, routing, errors

    @Test
    void aToolOutsideThePolicyIsRefusedAndReported() throws Exception {
        Sandbox s = sandbox();
        String token = attested(s);
        ObjectNode payload = payload("fs.read", "{\"path\":\"/etc/passwd\"}");

        JsonNode e = error(invoke(envelope(token, payload, s.privateKey(), CLOCK.instant())), 403, -32000);

        assertThat(e.get("data").get("violation_type").asText()).isEqualTo("path_outside_boundary");
        assertThat(EVENTS.all()).anySatisfy(ev -> {
            assertThat(ev).isInstanceOf(ExecutionEvent.PolicyViolation.class);
            ExecutionEvent.PolicyViolation v = (ExecutionEvent.PolicyViolation) ev;
            assertThat(v.executionId()).isEqualTo(s.loop().executionId());
            assertThat(v.tool()).isEqualTo("fs.read");
            assertThat(v.source()).isEqualTo("smcp");
            assertThat(v.securityContext()).isEqualTo("test-tools");
            assertThat(v.toolCallId()).isEqualTo(payload.get("id").asText());
        });
        // the deny list wins over notes.*
        JsonNode denied = error(invoke(envelope(token, payload("notes.fail", "{}"), s.privateKey(),
                CLOCK.instant())), 403, -32000);
        assertThat(denied.get("data").get("violation_type").asText()).isEqualTo("tool_explicitly_denied");
        assertThat(smcp.metrics().violations("path_outside_boundary")).isPositive();
    }

    @Test
    void aRateLimitAnswers429WithItsHeaders() throws Exception {
        Sandbox s = sandbox();
        String token = attested(s);
        for (int i = 0; i < 2; i++) {
            assertThat(invoke(envelope(token, payload("notes.list_notes", "{}"), s.privateKey(), CLOCK.instant()))
                    .statusCode()).isEqualTo(200);
        }

        HttpResponse<String> r = invoke(envelope(token, payload("notes.list_notes", "{}"), s.privateKey(),
                CLOCK.instant()));

        error(r, 429, -32005);
        assertThat(Long.parseLong(r.headers().firstValue("Retry-After").orElseThrow())).isPositive();
        assertThat(r.headers().firstValue("X-RateLimit-Limit")).contains("2");
        assertThat(r.headers().firstValue("X-RateLimit-Remaining")).contains("0");
        // another session has buckets of its own
        Sandbox other = sandbox();
        assertThat(invoke(envelope(attested(other), payload("notes.list_notes", "{}"), other.privateKey(),
                CLOCK.instant())).statusCode()).isEqualTo(200);
    }

    @Test
    void builtInToolsComeBackAsActionsForTheSandbox() throws Exception {
        Sandbox s = sandbox();
        String token = attested(s);

        HttpResponse<String> r = invoke(envelope(token, payload("fs.edit", "{\"path\":\"notes/../notes.txt\","
                + "\"target_content\":\"a\",\"replacement_content\":\"b\"}"), s.privateKey(), CLOCK.instant()));
        error(r, 403, -32000);

        JsonNode ok = Json.tree(invoke(envelope(token, payload("fs.edit", "{\"path\":\"notes.txt\","
                + "\"target_content\":\"a\",\"replacement_content\":\"b\"}"), s.privateKey(), CLOCK.instant())).body());
        assertThat(ok.get("result").get("status").asText()).isEqualTo("dispatch_required");
        JsonNode d = ok.get("result").get("dispatch");
        assertThat(d.get("action").asText()).isEqualTo("fs");
        assertThat(d.get("op").asText()).isEqualTo("edit");
        assertThat(d.get("path").asText()).isEqualTo("/workspace/notes.txt");
        assertThat(d.get("target_content").asText()).isEqualTo("a");

        JsonNode cmd = Json.tree(invoke(envelope(token, payload("cmd.run", "{\"command\":\"echo hi\"}"),
                s.privateKey(), CLOCK.instant())).body());
        assertThat(cmd.get("result").get("dispatch").get("action").asText()).isEqualTo("exec");
        assertThat(cmd.get("result").get("dispatch").get("command").asText()).isEqualTo("echo hi");
        error(invoke(envelope(token, payload("cmd.run", "{\"command\":\"curl http://x\"}"), s.privateKey(),
                CLOCK.instant())), 403, -32000);
    }

    @Test
    void unknownToolsAndBadArgumentsHaveTheirOwnCodes() throws Exception {
        Sandbox s = sandbox();
        String token = attested(s);

        error(invoke(envelope(token, payload("notes.nope", "{}"), s.privateKey(), CLOCK.instant())), 404, -32001);
        JsonNode bad = error(invoke(envelope(token, payload("notes.add_note", "{\"text\":42}"), s.privateKey(),
                CLOCK.instant())), 422, -32602);
        assertThat(bad.get("message").asText()).contains("text");
    }

    // ---------------------------------------------------------------- tools, keys

    @Test
    void theToolsOfAContextAreListedWithTheirSchemas() throws Exception {
        JsonNode tools = Json.tree(get(SmcpRoutes.TOOLS + "?security_context=test-tools").body());
        assertThat(tools.get("protocol").asText()).isEqualTo("smcp/v1");
        assertThat(tools.get("security_context").asText()).isEqualTo("test-tools");
        List<String> names = tools.get("tools").findValuesAsText("name");
        assertThat(names).contains("fs.read", "fs.edit", "cmd.run", "notes.add_note", "notes.list_notes")
                .doesNotContain("notes.fail");
        assertThat(tools.get("tools").get(0).get("input_schema").get("type").asText()).isEqualTo("object");

        List<String> restricted = Json.tree(get(SmcpRoutes.TOOLS + "?security_context=default").body())
                .get("tools").findValuesAsText("name");
        assertThat(restricted).contains("fs.read", "cmd.run").noneMatch(n -> n.startsWith("notes."));
        assertThat(get(SmcpRoutes.TOOLS + "?security_context=nope").statusCode()).isEqualTo(404);
    }

    @Test
    void theJwksHoldsThePublicKeyOnly() throws Exception {
        JsonNode jwks = Json.tree(get(SmcpRoutes.JWKS).body());
        JsonNode k = jwks.get("keys").get(0);
        assertThat(k.get("kid").asText()).isEqualTo(key.keyId());
        assertThat(k.get("kty").asText()).isEqualTo("RSA");
        assertThat(k.has("d")).isFalse();
        assertThat(k.has("p")).isFalse();
    }
}
