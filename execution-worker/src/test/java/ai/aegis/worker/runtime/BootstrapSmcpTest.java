package ai.aegis.worker.runtime;

import ai.aegis.schemas.json.Json;
import ai.aegis.worker.runtime.GatewayStub.Reply;
import ai.aegis.worker.runtime.GatewayStub.Request;
import ai.aegis.worker.runtime.process.ProcessRuntime;
import ai.aegis.worker.runtime.process.ProcessRuntimeConfig;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** bootstrap.py with SMCP on: attestation, signed invoke envelopes, and what it reports for each kind of answer. */
class BootstrapSmcpTest {

    private static final String TOKEN = "exec-token-smcp";
    private static final String JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhZ2VudCJ9.c2ln";

    @TempDir
    Path dir;

    @Test
    void attestsThenSignsEveryInvokeAndReportsEachKindOfAnswer() throws Exception {
        Path workspace = Files.createDirectories(dir.resolve("ws"));
        Map<String, Object> fetchArgs = new LinkedHashMap<>();
        fetchArgs.put("url", "https://example.org/ünïcode?q=\"x\"");
        fetchArgs.put("zeta", Map.of("b", 1, "a", Arrays.asList(true, null, "ß\n\t€", -7)));
        fetchArgs.put("Alpha", "✓ 日本語 🎉");
        Map<String, Object> execDispatch = new LinkedHashMap<>(Map.of("action", "exec", "command", "echo hi from exec",
                "args", List.of(), "cwd", "/workspace", "env_additions", Map.of(), "timeout_secs", 20,
                "max_output_bytes", 4096));
        Map<String, Object> fsDispatch = Map.of("action", "fs", "op", "write", "path", "/workspace/out/made.txt",
                "content", "written via dispatch_required");

        try (GatewayStub gateway = GatewayStub.replying(
                Reply.json(Map.of("security_token", JWT, "session_id", "sess-1", "expires_at", "2030-01-01T00:00:00Z")),
                Reply.json(invoke("d-1", "web.fetch", fetchArgs)),
                Reply.json(rpcResult("d-1", Map.of("status", "success", "content", "fetched ✓"))),
                Reply.json(invoke("d-2", "cmd.run", Map.of("command", "echo hi from exec"))),
                Reply.json(rpcResult("d-2", Map.of("status", "dispatch_required", "dispatch", execDispatch))),
                Reply.json(invoke("d-3", "fs.write", Map.of("path", "/workspace/out/made.txt"))),
                Reply.json(rpcResult("d-3", Map.of("status", "dispatch_required", "dispatch", fsDispatch))),
                Reply.json(invoke("d-4", "fs.delete", Map.of("path", "/"))),
                new Reply(403, Json.write(rpcError("d-4", -32000, "Policy violation: tool not allowed"))),
                Reply.json(invoke("d-5", "web.search", Map.of("query", "q"))),
                new Reply(502, "<html>bad gateway</html>"),
                Reply.json(Map.of("type", "final", "content", "all done")))) {

            long before = Instant.now().getEpochSecond();
            SandboxResult result = run(gateway, workspace, Map.of());
            long after = Instant.now().getEpochSecond();

            assertThat(result.exitCode()).as(result.stderr()).isZero();
            assertThat(result.stdout()).isEqualTo("all done");
            List<Request> requests = gateway.requests();
            assertThat(requests).extracting(Request::path).containsExactly("/v1/smcp/attest",
                    "/v1/dispatch-gateway", "/v1/smcp/invoke", "/v1/dispatch-gateway", "/v1/smcp/invoke",
                    "/v1/dispatch-gateway", "/v1/smcp/invoke", "/v1/dispatch-gateway", "/v1/smcp/invoke",
                    "/v1/dispatch-gateway", "/v1/smcp/invoke", "/v1/dispatch-gateway");
            assertThat(requests).allSatisfy(r -> assertThat(r.authorization()).isEqualTo("Bearer " + TOKEN));

            JsonNode attest = requests.get(0).body();
            assertThat(fieldNames(attest)).containsExactlyInAnyOrder("agent_id", "execution_id", "container_id",
                    "agent_public_key");
            assertThat(attest.path("agent_id").asText()).isEqualTo("agent-7");
            assertThat(attest.path("execution_id").asText()).isEqualTo("exec-42");
            assertThat(attest.path("container_id").asText()).isEqualTo("ctr-9");
            byte[] publicKey = Base64.getDecoder().decode(attest.path("agent_public_key").asText());
            assertThat(publicKey).hasSize(32);

            JsonNode generate = requests.get(1).body();
            assertThat(generate.path("type").asText()).isEqualTo("generate");
            assertThat(generate.path("smcp_session_id").asText()).isEqualTo("sess-1");

            String[][] calls = {{"d-1", "web.fetch"}, {"d-2", "cmd.run"}, {"d-3", "fs.write"}, {"d-4", "fs.delete"},
                    {"d-5", "web.search"}};
            for (int i = 0; i < calls.length; i++) {
                JsonNode envelope = requests.get(2 + 2 * i).body();
                assertEnvelope(envelope, calls[i][0], calls[i][1], publicKey, before, after);
            }
            assertThat(requests.get(2).body().path("payload").path("params").path("arguments"))
                    .isEqualTo(Json.MAPPER.valueToTree(fetchArgs));

            JsonNode plain = requests.get(3).body();
            assertThat(plain.path("type").asText()).isEqualTo("dispatch_result");
            assertThat(plain.path("execution_id").asText()).isEqualTo("exec-42");
            assertThat(plain.path("dispatch_id").asText()).isEqualTo("d-1");
            assertThat(plain.path("result")).isEqualTo(Json.MAPPER.valueToTree(
                    Map.of("status", "success", "content", "fetched ✓")));
            assertThat(plain.has("error")).isFalse();
            assertThat(plain.has("exit_code")).isFalse();

            JsonNode exec = requests.get(5).body();
            assertThat(exec.path("dispatch_id").asText()).isEqualTo("d-2");
            assertThat(exec.path("exit_code").asInt()).isZero();
            assertThat(exec.path("stdout").asText()).isEqualTo("hi from exec\n");
            assertThat(exec.path("stderr").asText()).isEmpty();
            assertThat(exec.path("truncated").asBoolean()).isFalse();
            assertThat(exec.path("duration_ms").isIntegralNumber()).isTrue();
            assertThat(exec.has("result")).isFalse();

            JsonNode fs = requests.get(7).body();
            assertThat(fs.path("dispatch_id").asText()).isEqualTo("d-3");
            assertThat(fs.path("result")).isEqualTo(Json.MAPPER.valueToTree(Map.of("status", "success",
                    "path", "/workspace/out/made.txt", "bytes_written", "written via dispatch_required".length())));
            assertThat(workspace.resolve("out/made.txt")).hasContent("written via dispatch_required");

            JsonNode denied = requests.get(9).body();
            assertThat(denied.path("dispatch_id").asText()).isEqualTo("d-4");
            assertThat(denied.path("error")).isEqualTo(Json.MAPPER.valueToTree(Map.of("type", "smcp_error",
                    "code", -32000, "message", "Policy violation: tool not allowed")));
            assertThat(denied.has("result")).isFalse();

            JsonNode broken = requests.get(11).body();
            assertThat(broken.path("dispatch_id").asText()).isEqualTo("d-5");
            assertThat(broken.path("error").path("type").asText()).isEqualTo("smcp_error");
            assertThat(broken.path("error").path("code").asInt()).isEqualTo(-1);
            assertThat(broken.path("error").path("message").asText()).contains("502").contains("bad gateway");
        }
    }

    @Test
    void anAttestationTheWorkerCouldNotMakeDurableIsTriedAgain() throws Exception {
        try (GatewayStub gateway = GatewayStub.replying(
                new Reply(503, "{\"error\":\"unavailable\"}"), new Reply(503, "{\"error\":\"unavailable\"}"),
                Reply.json(Map.of("security_token", JWT, "session_id", "sess-2", "expires_at", "2030-01-01T00:00:00Z")),
                Reply.json(Map.of("type", "final", "content", "attested at last")))) {
            SandboxResult result = run(gateway, Files.createDirectories(dir.resolve("ws503")), Map.of());

            assertThat(result.exitCode()).as(result.stderr()).isZero();
            assertThat(result.stdout()).contains("attested at last");
            assertThat(gateway.requests()).extracting(Request::path).containsExactly("/v1/smcp/attest",
                    "/v1/smcp/attest", "/v1/smcp/attest", "/v1/dispatch-gateway");
            assertThat(gateway.requests().get(3).body().path("smcp_session_id").asText()).isEqualTo("sess-2");
        }
    }

    @Test
    void attestationFailureExitsOneWithStatusAndBody() throws Exception {
        try (GatewayStub gateway = GatewayStub.replying(
                new Reply(403, "{\"error\":\"security context tenant-x-dev not found\"}"))) {
            SandboxResult result = run(gateway, Files.createDirectories(dir.resolve("ws")), Map.of());

            assertThat(result.exitCode()).isEqualTo(1);
            assertThat(result.stdout()).isEmpty();
            assertThat(result.stderr()).contains("SMCP attestation failed: HTTP 403")
                    .contains("security context tenant-x-dev not found");
            assertThat(gateway.requests()).extracting(Request::path).containsExactly("/v1/smcp/attest");
        }
        try (GatewayStub gateway = GatewayStub.replying(Reply.json(Map.of("security_token", JWT)))) {
            SandboxResult result = run(gateway, Files.createDirectories(dir.resolve("ws2")), Map.of());

            assertThat(result.exitCode()).isEqualTo(1);
            assertThat(result.stderr()).contains("SMCP attestation failed").contains("session_id");
            assertThat(gateway.requests()).hasSize(1);
        }
    }

    @Test
    void withoutSmcpAnInvokeIsReportedAsAnErrorAndNothingIsAttested() throws Exception {
        try (GatewayStub gateway = GatewayStub.replying(Reply.json(invoke("d-1", "web.fetch", Map.of())),
                Reply.json(Map.of("type", "final", "content", "ok")))) {
            SandboxResult result = run(gateway, Files.createDirectories(dir.resolve("ws")),
                    Map.of("AEGIS_SMCP_ENABLED", "false"));

            assertThat(result.exitCode()).as(result.stderr()).isZero();
            List<Request> requests = gateway.requests();
            assertThat(requests).extracting(Request::path).containsExactly("/v1/dispatch-gateway",
                    "/v1/dispatch-gateway");
            assertThat(requests.get(0).body().has("smcp_session_id")).isFalse();
            JsonNode error = requests.get(1).body().path("error");
            assertThat(error.path("type").asText()).isEqualTo("smcp_error");
            assertThat(error.path("code").asInt()).isEqualTo(-1);
            assertThat(error.path("message").asText()).contains("AEGIS_SMCP_ENABLED");
        }
    }

    private static void assertEnvelope(JsonNode envelope, String id, String tool, byte[] publicKey, long before,
                                       long after) {
        assertThat(fieldNames(envelope)).containsExactlyInAnyOrder("protocol", "security_token", "timestamp",
                "payload", "signature");
        assertThat(envelope.path("protocol").asText()).isEqualTo("smcp/v1");
        assertThat(envelope.path("security_token").asText()).isEqualTo(JWT);
        JsonNode payload = envelope.path("payload");
        assertThat(payload.path("jsonrpc").asText()).isEqualTo("2.0");
        assertThat(payload.path("id").asText()).isEqualTo(id);
        assertThat(payload.path("method").asText()).isEqualTo("tools/call");
        assertThat(payload.path("params").path("name").asText()).isEqualTo(tool);
        assertThat(payload.path("params").path("arguments").isObject()).isTrue();

        String timestamp = envelope.path("timestamp").asText();
        assertThat(timestamp).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ");
        long seconds = Instant.parse(timestamp).getEpochSecond();
        assertThat(seconds).isBetween(before - 2, after + 2);

        byte[] signature = Base64.getDecoder().decode(envelope.path("signature").asText());
        assertThat(signature).hasSize(64);
        assertThat(Ed25519VectorsTest.verify(publicKey, signed(payload, seconds), signature)).as(id).isTrue();
        // What is signed is that instant and that payload: a second later, or another id, does not verify.
        assertThat(Ed25519VectorsTest.verify(publicKey, signed(payload, seconds + 1), signature)).isFalse();
        JsonNode other = payload.deepCopy();
        ((com.fasterxml.jackson.databind.node.ObjectNode) other).put("id", id + "x");
        assertThat(Ed25519VectorsTest.verify(publicKey, signed(other, seconds), signature)).isFalse();
    }

    private static byte[] signed(JsonNode payload, long seconds) {
        Map<String, Object> signed = Map.of("payload", payload, "security_token", JWT, "timestamp", seconds);
        return canonical(Json.MAPPER.valueToTree(signed)).getBytes(StandardCharsets.UTF_8);
    }

    /** Compact JSON with object keys sorted by code point at every level and no escaping beyond what JSON needs. */
    static String canonical(JsonNode node) {
        StringBuilder out = new StringBuilder();
        write(node, out);
        return out.toString();
    }

    private static void write(JsonNode node, StringBuilder out) {
        if (node.isObject()) {
            List<String> names = fieldNames(node);
            names.sort((a, b) -> Arrays.compare(a.codePoints().toArray(), b.codePoints().toArray()));
            out.append('{');
            for (int i = 0; i < names.size(); i++) {
                if (i > 0) {
                    out.append(',');
                }
                string(names.get(i), out);
                out.append(':');
                write(node.get(names.get(i)), out);
            }
            out.append('}');
        } else if (node.isArray()) {
            out.append('[');
            for (int i = 0; i < node.size(); i++) {
                if (i > 0) {
                    out.append(',');
                }
                write(node.get(i), out);
            }
            out.append(']');
        } else if (node.isTextual()) {
            string(node.textValue(), out);
        } else if (node.isIntegralNumber()) {
            out.append(node.bigIntegerValue());
        } else if (node.isBoolean() || node.isNull()) {
            out.append(node);
        } else {
            throw new IllegalArgumentException("no canonical form here for " + node.getNodeType());
        }
    }

    private static void string(String s, StringBuilder out) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private SandboxResult run(GatewayStub gateway, Path workspace, Map<String, String> extra) throws SandboxException {
        Map<String, String> env = new HashMap<>();
        env.put("AEGIS_EXECUTION_ID", "exec-42");
        env.put("AEGIS_AGENT_ID", "agent-7");
        env.put("AEGIS_MODEL_ALIAS", "smart");
        env.put("AEGIS_ORCHESTRATOR_URL", gateway.baseUrl());
        env.put("AEGIS_EXECUTION_TOKEN", TOKEN);
        env.put("AEGIS_SMCP_ENABLED", "true");
        env.put("AEGIS_CONTAINER_ID", "ctr-9");
        env.put("AEGIS_WORKSPACE", workspace.toString());
        env.putAll(extra);
        Path runtimes = dir.resolve("runtime");
        return new ProcessRuntime(new ProcessRuntimeConfig(null, runtimes))
                .run(BootstrapScriptTest.spec(env, "use the tools"), (stream, line) -> { });
    }

    private static Map<String, Object> invoke(String id, String tool, Map<String, Object> arguments) {
        Map<String, Object> dispatch = new LinkedHashMap<>();
        dispatch.put("type", "dispatch");
        dispatch.put("dispatch_id", id);
        dispatch.put("action", "invoke");
        dispatch.put("tool_call_id", "call-" + id);
        dispatch.put("name", tool);
        dispatch.put("arguments", arguments);
        return dispatch;
    }

    private static Map<String, Object> rpcResult(String id, Object result) {
        return Map.of("jsonrpc", "2.0", "id", id, "result", result);
    }

    private static Map<String, Object> rpcError(String id, int code, String message) {
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("code", code);
        error.put("message", message);
        error.put("data", null);
        return Map.of("jsonrpc", "2.0", "id", id, "error", error);
    }
}
