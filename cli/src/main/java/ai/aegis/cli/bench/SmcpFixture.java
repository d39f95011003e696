package ai.aegis.cli.bench;

import ai.aegis.http.Api;
import ai.aegis.schemas.execution.ExecutionEvent;
import ai.aegis.schemas.json.Json;
import ai.aegis.topology.kafka.RecordPublisher;
import ai.aegis.worker.execution.EventSink;
import ai.aegis.worker.gateway.InnerLoopRegistry;
import ai.aegis.worker.gateway.InnerLoopSession;
import ai.aegis.worker.smcp.ReplayGuard;
import ai.aegis.worker.smcp.SmcpConfig;
import ai.aegis.worker.smcp.SmcpMetrics;
import ai.aegis.worker.smcp.SmcpRoutes;
import ai.aegis.worker.smcp.SmcpService;
import ai.aegis.worker.smcp.crypto.AgentKeys;
import ai.aegis.worker.smcp.crypto.CanonicalJson;
import ai.aegis.worker.smcp.crypto.KeyRing;
import ai.aegis.worker.smcp.crypto.SecurityTokens;
import ai.aegis.worker.smcp.crypto.SigningKey;
import ai.aegis.worker.smcp.policy.SecurityContext;
import ai.aegis.worker.smcp.policy.SecurityContexts;
import ai.aegis.worker.smcp.session.SessionStore;
import ai.aegis.worker.smcp.tools.ToolInvoker;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.HttpRouting;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;

import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.spec.X509EncodedKeySpec;
import java.time.Clock;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The SMCP service of a worker, composed as {@code WorkerService} composes it but without Kafka (the session record
 * goes to an in-memory publisher that acknowledges at once), with one running iteration that attested over the real
 * {@link SmcpService#attest} and holds its own Ed25519 key; the envelopes it signs are built as {@code bootstrap.py}
 * builds them. The HTTP listener serves the SMCP routes and, beside them, {@link #NOOP}: a POST that reads the body
 * and answers a constant, the baseline of the same listener.
 */
final class SmcpFixture implements AutoCloseable {

    static final String NOOP = "/bench/noop";
    /** The built-in tool called: allowed by the shipped {@code default} context, answered without I/O. */
    static final String TOOL = "fs.read";
    private static final String ARGUMENTS = "{\"path\":\"/workspace/src/main.py\"}";
    /** The DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410), for the JDK's key factory. */
    private static final byte[] SPKI_PREFIX = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};

    final SmcpConfig config;
    final SecurityTokens tokens;
    final SmcpService service;
    final SecurityContext context;
    final String token;
    final Ed25519PrivateKeyParameters agentKey;
    /** One envelope's signed object ({@code payload}, {@code security_token}, {@code timestamp}), for the baselines. */
    final ObjectNode signed;
    /** Its canonical bytes and signature. */
    final byte[] message;
    final byte[] signature;
    private final WebServer server;

    /**
     * @param replayEntries room of the replay cache: a run keeps every signature of the last {@code clockSkew}
     *                      seconds, more than the worker's default at the rates measured here
     */
    SmcpFixture(int replayEntries) {
        // the production defaults, the shipped security contexts among them
        config = SmcpConfig.builder().replayCacheEntries(replayEntries).build();
        Clock clock = Clock.systemUTC();
        KeyRing keys = new KeyRing(SigningKey.ephemeral(), 1000);
        RecordPublisher inMemory = (topic, key, value, ceType) ->
                new RecordMetadata(new TopicPartition(topic, 0), 0, 0, 0, 0, 0);
        tokens = new SecurityTokens(keys, config.issuer(), config.audience(), clock);
        InnerLoopRegistry loops = new InnerLoopRegistry();
        service = new SmcpService(config, loops, tokens, new SessionStore(config.rememberedSessions(), keys),
                new ReplayGuard(config.replayCacheEntries(), config.clockSkew().toSeconds()),
                ToolInvoker.builtinOnly(1 << 20), inMemory, "bench.smcp.sessions", new SmcpMetrics(), clock);
        context = config.securityContexts().get(SecurityContexts.DEFAULT).orElseThrow();
        String executionToken = UUID.randomUUID().toString();
        InnerLoopSession loop = new InnerLoopSession(UUID.randomUUID().toString(), UUID.randomUUID().toString(), 1,
                executionToken, List.of("fs.*", "cmd.run"), "default", context, NO_EVENTS);
        loops.register(loop);
        agentKey = new Ed25519PrivateKeyParameters(new SecureRandom());
        SmcpService.Answer attested = service.attest(executionToken, Json.toTree(Map.of("agent_id", loop.agentId(),
                "execution_id", loop.executionId(), "container_id", "bench", "agent_public_key",
                AgentKeys.encode(agentKey.generatePublicKey()))));
        if (attested.status() != 200) {
            throw new IllegalStateException("attestation refused: " + attested.body());
        }
        token = attested.body().get("security_token").asText();
        ObjectNode sample = envelope(new Ed25519Signer(), Instant.now());
        signed = signedPart(sample.get("payload"), token, Instant.parse(sample.get("timestamp").asText())
                .getEpochSecond());
        message = CanonicalJson.bytes(signed);
        signature = Base64.getDecoder().decode(sample.get("signature").asText());
        HttpRouting.Builder routing = HttpRouting.builder();
        SmcpRoutes.install(routing, service, keys);
        ObjectNode constant = Json.object().put("ok", true);
        routing.post(NOOP, (req, res) -> {
            Api.body(req); // read like the invoke route reads it, then nothing
            Api.json(res, 200, constant);
        });
        server = WebServer.builder().host("127.0.0.1").port(0).routing(routing).build().start();
    }

    int port() {
        return server.port();
    }

    /** The arguments of the call, as the policy sees them. */
    static JsonNode arguments() {
        return Json.tree(ARGUMENTS);
    }

    /**
     * A fresh envelope (its own JSON-RPC id, so its own signature), signed at {@code at} with the iteration's key.
     * {@code signer} is the caller's: one per thread.
     */
    ObjectNode envelope(Ed25519Signer signer, Instant at) {
        ObjectNode payload = Json.object();
        payload.put("jsonrpc", "2.0");
        payload.put("id", UUID.randomUUID().toString());
        payload.put("method", "tools/call");
        payload.putObject("params").put("name", TOOL).set("arguments", arguments());
        byte[] bytes = CanonicalJson.bytes(signedPart(payload, token, at.getEpochSecond()));
        signer.init(true, agentKey);
        signer.update(bytes, 0, bytes.length);
        ObjectNode env = Json.object();
        env.put("protocol", SmcpService.PROTOCOL);
        env.put("security_token", token);
        env.put("timestamp", at.toString());
        env.set("payload", payload);
        env.put("signature", Base64.getEncoder().encodeToString(signer.generateSignature()));
        return env;
    }

    /** What the signature covers: the object {@link SmcpService} rebuilds before it checks. */
    private static ObjectNode signedPart(JsonNode payload, String token, long epochSecond) {
        ObjectNode signed = Json.object();
        signed.set("payload", payload);
        signed.put("security_token", token);
        signed.put("timestamp", epochSecond);
        return signed;
    }

    /** The agent's public key as the JDK's provider takes it (X.509 SubjectPublicKeyInfo). */
    PublicKey jdkPublicKey() throws GeneralSecurityException {
        byte[] raw = agentKey.generatePublicKey().getEncoded();
        byte[] spki = new byte[SPKI_PREFIX.length + raw.length];
        System.arraycopy(SPKI_PREFIX, 0, spki, 0, SPKI_PREFIX.length);
        System.arraycopy(raw, 0, spki, SPKI_PREFIX.length, raw.length);
        return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(spki));
    }

    @Override
    public void close() {
        server.stop();
    }

    /** Only a refused call emits an event, and a benchmark of valid calls has none. */
    private static final EventSink NO_EVENTS = new EventSink() {
        @Override
        public void emit(ExecutionEvent event) {
        }

        @Override
        public void emitDurably(ExecutionEvent event) {
        }
    };
}
