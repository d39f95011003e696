package ai.aegis.ingress;

import ai.aegis.testing.SharedTestBroker;
import ai.aegis.schemas.json.Json;
import ai.aegis.schemas.topic.TopicCatalog;
import ai.aegis.topology.kafka.KafkaSettings;
import com.fasterxml.jackson.databind.JsonNode;
import io.helidon.config.Config;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Every kind of refused input on the public API, through real HTTP against a real ingress on a real broker: the
 * exact status and JSON body the reference API gives, never a 500, never a stack trace.
 */
class IngressBadInputTest {

    private static final String JSON_TYPE = "application/json";

    @TempDir
    static Path dataDir;

    private static IngressServer server;
    private static String token;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void startIngress() throws IOException {
        KafkaSettings kafka = KafkaSettings.of(SharedTestBroker.get().bootstrapServers(),
                new TopicCatalog("t" + UUID.randomUUID().toString().replace("-", ""), 3), "test");
        server = IngressServer.start(IngressConfig.from(Config.empty(), dataDir).withPort(0), kafka);
        token = Files.readString(server.tokenFile()).strip();
    }

    @AfterAll
    static void stopIngress() {
        if (server != null) {
            server.close();
        }
    }

    // ---------------------------------------------------------------- authentication, health, metrics

    @Test
    void aMissingTokenIsRefusedWithAChallenge() throws Exception {
        Reply r = send(request("/v1/agents").GET(), null);

        r.assertJson(401, "{\"error\":\"Missing bearer token\"}");
        assertThat(r.response.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(
                v -> assertThat(v).startsWith("Bearer"));
    }

    @Test
    void aWrongTokenIsRefused() throws Exception {
        Reply r = send(request("/v1/executions").GET(), "not-" + token);

        r.assertJson(401, "{\"error\":\"Invalid bearer token\"}");
        assertThat(r.response.headers().firstValue("WWW-Authenticate")).isPresent();
    }

    @Test
    void livenessIsOpenWithoutAToken() throws Exception {
        send(request("/health").GET(), null).assertJson(200, "{\"status\":\"ok\"}");
    }

    @Test
    void readinessNamesEachComponentWithItsStateWithoutAToken() {
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            Reply r = send(request("/health/ready").GET(), null);
            assertThat(r.status()).as(r.body).isEqualTo(200);
            JsonNode body = Json.tree(r.body);
            assertThat(body.path("status").asText()).isEqualTo("ready");
            JsonNode components = body.path("components");
            assertThat(components.path("kafka").path("state").asText()).isEqualTo("up");
            for (String tail : new String[] {"tail.ingress", "tail.dead-letters", "tail.stimulus-replies", "tail.stimuli"}) {
                assertThat(components.path(tail).path("state").asText()).as(tail).isEqualTo("up");
                assertThat(components.path(tail).path("lag").asLong()).as(tail).isZero();
                assertThat(components.path(tail).path("caught_up").asBoolean()).as(tail).isTrue();
            }
            assertThat(components.size()).isEqualTo(5);
        });
    }

    @Test
    void metricsAndDeadLettersNeedTheToken() throws Exception {
        send(request("/metrics").GET(), null).assertJson(401, "{\"error\":\"Missing bearer token\"}");
        send(request("/v1/dead-letters").GET(), null).assertJson(401, "{\"error\":\"Missing bearer token\"}");
    }

    @Test
    void metricsArePrometheusText() throws Exception {
        Reply r = send(request("/metrics").GET(), token);

        assertThat(r.status()).isEqualTo(200);
        assertThat(r.contentType()).startsWith("text/plain");
        assertThat(r.body).contains("# TYPE aegis_sse_streams_open gauge").containsPattern("(?m)^aegis_sse_streams_open \\d+$");
    }

    // ---------------------------------------------------------------- POST /v1/executions

    @Test
    void anAgentIdThatIsNotAUuidIsInvalid() throws Exception {
        postJson("/v1/executions", "{\"agent_id\":\"not-a-uuid\",\"input\":\"x\"}")
                .assertJson(400, "{\"error\":\"Invalid agent ID\"}");
    }

    @Test
    void aNumericAgentIdIsInvalid() throws Exception {
        postJson("/v1/executions", "{\"agent_id\":42,\"input\":\"x\"}")
                .assertJson(400, "{\"error\":\"Invalid agent ID\"}");
    }

    @Test
    void aMissingAgentIdIsInvalid() throws Exception {
        postJson("/v1/executions", "{\"input\":\"x\"}").assertJson(400, "{\"error\":\"Invalid agent ID\"}");
    }

    @Test
    void malformedJsonIsA400NamingTheProblem() throws Exception {
        Reply r = postJson("/v1/executions", "{\"agent_id\": \"" + UUID.randomUUID() + "\", \"input\": ");

        r.assertStatusAndJson(400);
        assertThat(r.json().path("error").asText()).startsWith("Malformed JSON");
        assertThat(r.json().size()).isEqualTo(1);
        assertThat(r.body).doesNotContain("Exception").doesNotContain("\tat ");
    }

    @Test
    void aJsonArrayBodyIsRefused() throws Exception {
        postJson("/v1/executions", "[{\"agent_id\":\"" + UUID.randomUUID() + "\",\"input\":\"x\"}]")
                .assertJson(400, "{\"error\":\"Request body must be a JSON object\"}");
    }

    @Test
    void anEmptyBodyIsRefused() throws Exception {
        postJson("/v1/executions", "").assertJson(400, "{\"error\":\"Request body is required (a JSON object)\"}");
    }

    @Test
    void aMissingInputIsNamed() throws Exception {
        postJson("/v1/executions", "{\"agent_id\":\"" + UUID.randomUUID() + "\"}")
                .assertJson(400, "{\"error\":\"Missing required field 'input'\"}");
    }

    @Test
    void anUnknownAgentIsNotFound() throws Exception {
        postJson("/v1/executions", "{\"agent_id\":\"" + UUID.randomUUID() + "\",\"input\":\"x\"}")
                .assertJson(404, "{\"error\":\"Agent not found\"}");
    }

    @Test
    void contextOverridesMustBeAnObject() throws Exception {
        postJson("/v1/executions", "{\"agent_id\":\"" + UUID.randomUUID()
                + "\",\"input\":\"x\",\"context_overrides\":[1,2]}")
                .assertJson(400, "{\"error\":\"Field 'context_overrides' must be a JSON object\"}");
    }

    @Test
    void aBodyOverTheCapIs413WithAJsonError() throws Exception {
        // The default cap is 1 MiB; 2 MiB of otherwise valid JSON. Helidon refuses it from the Content-Length,
        // before reading it; the client asks "Expect: 100-continue" so that it reads that answer instead of
        // failing on a broken pipe while still uploading.
        char[] filler = new char[2 * 1024 * 1024];
        Arrays.fill(filler, 'a');
        String body = "{\"agent_id\":\"" + UUID.randomUUID() + "\",\"input\":\"" + new String(filler) + "\"}";

        Reply r = send(request("/v1/executions").expectContinue(true).header("Content-Type", JSON_TYPE)
                .POST(HttpRequest.BodyPublishers.ofString(body)), token);

        r.assertJson(413, "{\"error\":\"Request body too large\"}");
        // The server is still healthy for the next caller.
        send(request("/health").GET(), null).assertJson(200, "{\"status\":\"ok\"}");
    }

    @Test
    void aChunkedBodyOverTheCapIs413WithAJsonError() throws Exception {
        // No Content-Length: the cap is found while the route reads the body.
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(15_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /v1/executions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + token
                    + "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            byte[] chunk = new byte[64 * 1024];
            Arrays.fill(chunk, (byte) 'a');
            try {
                for (int i = 0; i < 32; i++) {
                    out.write((Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                    out.write(chunk);
                    out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                }
                out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
            } catch (IOException closedByServer) {
                // expected once the server has answered and closed: the answer is still there to read
            }
            RawReply r = RawReply.read(socket.getInputStream());

            assertThat(r.statusLine()).startsWith("HTTP/1.1 413");
            assertThat(r.header("content-type")).startsWith(JSON_TYPE);
            assertThat(Json.tree(r.body())).isEqualTo(Json.tree("{\"error\":\"Request body too large\"}"));
        }
    }

    @Test
    void aMalformedHttpRequestIsA400WithAJsonError() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(15_000);
            socket.getOutputStream().write("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nno colon here\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            RawReply r = RawReply.read(socket.getInputStream());

            assertThat(r.statusLine()).startsWith("HTTP/1.1 400");
            assertThat(r.header("content-type")).startsWith(JSON_TYPE);
            assertThat(Json.tree(r.body()).path("error").asText()).startsWith("Bad request");
        }
    }

    // ---------------------------------------------------------------- GET /v1/executions...

    @Test
    void anExecutionIdThatIsNotAUuidIsInvalid() throws Exception {
        send(request("/v1/executions/not-a-uuid").GET(), token)
                .assertJson(400, "{\"error\":\"Invalid execution ID\"}");
    }

    @Test
    void anUnknownExecutionIsNotFound() throws Exception {
        send(request("/v1/executions/" + UUID.randomUUID()).GET(), token)
                .assertJson(404, "{\"error\":\"Execution not found\"}");
    }

    @Test
    void theStreamOfABadOrUnknownExecutionIsAJsonErrorNotAStream() throws Exception {
        send(request("/v1/executions/not-a-uuid/stream").GET(), token)
                .assertJson(400, "{\"error\":\"Invalid execution ID\"}");
        send(request("/v1/executions/" + UUID.randomUUID() + "/stream").GET(), token)
                .assertJson(404, "{\"error\":\"Execution not found\"}");
    }

    @Test
    void aNonNumericLastEventIdIsRefused() throws Exception {
        send(request("/v1/executions/" + UUID.randomUUID() + "/stream").header("Last-Event-ID", "abc").GET(), token)
                .assertJson(400, "{\"error\":\"Invalid Last-Event-ID\"}");
        send(request("/v1/executions/" + UUID.randomUUID() + "/stream?last_event_id=-3").GET(), token)
                .assertJson(400, "{\"error\":\"Invalid Last-Event-ID\"}");
    }

    @Test
    void listLimitsOutsideOneToAThousandAreRefused() throws Exception {
        for (String limit : new String[] {"0", "abc", "1001", "-1"}) {
            send(request("/v1/executions?limit=" + limit).GET(), token)
                    .assertJson(400, "{\"error\":\"limit must be a whole number from 1 to 1000\"}");
        }
        Reply ok = send(request("/v1/executions?limit=1000").GET(), token);
        ok.assertStatusAndJson(200);
        assertThat(ok.json().isArray()).isTrue();
    }

    @Test
    void listingByABadAgentIdIsRefused() throws Exception {
        send(request("/v1/executions?agent_id=bad").GET(), token).assertJson(400, "{\"error\":\"Invalid agent ID\"}");
    }

    // ---------------------------------------------------------------- agents

    @Test
    void anInvalidManifestNamesEveryProblem() throws Exception {
        String manifest = """
                apiVersion: 100monkeys.ai/v1
                kind: Workflow
                metadata:
                  name: Not_A_Valid_Name
                  version: "1.0.0"
                spec:
                  tools: [cmd.run]
                """;

        Reply r = send(request("/v1/agents").header("Content-Type", "application/yaml")
                .POST(HttpRequest.BodyPublishers.ofString(manifest)), token);

        r.assertStatusAndJson(400);
        assertThat(r.json().path("error").asText()).contains("kind").contains("metadata.name");
        assertThat(r.json().path("problems").isArray()).isTrue();
        assertThat(r.json().path("problems").findValuesAsText("path")).contains("kind", "metadata.name");
    }

    @Test
    void anAgentGoesThroughItsWholeLifecycle() throws Exception {
        String name = "bad-input-" + UUID.randomUUID().toString().substring(0, 8);

        Reply created = deploy(manifest(name, "1.0.0"), "");
        created.assertStatusAndJson(201);
        String agentId = created.json().path("agent_id").asText();
        assertThat(UUID.fromString(agentId).toString()).isEqualTo(agentId);
        assertThat(created.json().path("status").asText()).isEqualTo("deployed");

        Reply again = deploy(manifest(name, "1.0.0"), "");
        again.assertStatusAndJson(409);
        assertThat(again.json().path("error").asText()).contains(name).contains("force");

        Reply forced = deploy(manifest(name, "1.0.0"), "?force=true");
        forced.assertStatusAndJson(200);
        assertThat(forced.json().path("agent_id").asText()).isEqualTo(agentId);

        Reply newVersion = deploy(manifest(name, "1.1.0"), "");
        newVersion.assertStatusAndJson(200);
        assertThat(newVersion.json().path("agent_id").asText()).isEqualTo(agentId);
        assertThat(newVersion.json().path("version").asText()).isEqualTo("1.1.0");

        Reply list = send(request("/v1/agents").GET(), token);
        list.assertStatusAndJson(200);
        JsonNode listed = null;
        for (JsonNode a : list.json()) {
            if (agentId.equals(a.path("id").asText())) {
                listed = a;
            }
        }
        assertThat(listed).as("deployed agent in the list").isNotNull();
        assertThat(listed.path("name").asText()).isEqualTo(name);
        assertThat(listed.path("version").asText()).isEqualTo("1.1.0");
        assertThat(listed.has("manifest")).as("list omits manifests").isFalse();

        Reply one = send(request("/v1/agents/" + agentId).GET(), token);
        one.assertStatusAndJson(200);
        assertThat(one.json().path("manifest").path("metadata").path("name").asText()).isEqualTo(name);
        assertThat(one.json().path("manifest").path("metadata").path("version").asText()).isEqualTo("1.1.0");
        // Ids are case-insensitive on the way in.
        send(request("/v1/agents/" + agentId.toUpperCase()).GET(), token).assertStatusAndJson(200);

        send(request("/v1/agents/lookup/" + name).GET(), token)
                .assertJson(200, "{\"id\":\"" + agentId + "\",\"name\":\"" + name + "\",\"version\":\"1.1.0\"}");
        send(request("/v1/agents/lookup/no-such-agent-" + UUID.randomUUID()).GET(), token)
                .assertJson(404, "{\"error\":\"Agent not found\"}");

        // An execution of this agent is accepted and readable at once.
        Reply started = postJson("/v1/executions", "{\"agent_id\":\"" + agentId + "\",\"input\":{\"n\":1}}");
        started.assertStatusAndJson(200);
        String executionId = started.json().path("execution_id").asText();
        Reply execution = send(request("/v1/executions/" + executionId).GET(), token);
        execution.assertStatusAndJson(200);
        send(request("/v1/executions?agent_id=" + agentId).GET(), token).assertStatusAndJson(200);

        send(request("/v1/agents/" + agentId).DELETE(), token).assertJson(200, "{\"success\":true}");
        send(request("/v1/agents/" + agentId).GET(), token).assertJson(404, "{\"error\":\"Agent not found\"}");
        send(request("/v1/agents/" + agentId).DELETE(), token).assertJson(404, "{\"error\":\"Agent not found\"}");
        postJson("/v1/executions", "{\"agent_id\":\"" + agentId + "\",\"input\":\"x\"}")
                .assertJson(404, "{\"error\":\"Agent not found\"}");
    }

    @Test
    void agentIdsAreCheckedOnGetAndDelete() throws Exception {
        send(request("/v1/agents/bad").GET(), token).assertJson(400, "{\"error\":\"Invalid agent ID\"}");
        send(request("/v1/agents/bad").DELETE(), token).assertJson(400, "{\"error\":\"Invalid agent ID\"}");
        send(request("/v1/agents/" + UUID.randomUUID()).GET(), token)
                .assertJson(404, "{\"error\":\"Agent not found\"}");
        send(request("/v1/agents/" + UUID.randomUUID()).DELETE(), token)
                .assertJson(404, "{\"error\":\"Agent not found\"}");
    }

    // ---------------------------------------------------------------- routes that do not exist here

    @Test
    void unknownRoutesAreJson404s() throws Exception {
        send(request("/v1/nope").GET(), token).assertJson(404, "{\"error\":\"Not found: GET /v1/nope\"}");
        send(request("/health").POST(HttpRequest.BodyPublishers.noBody()), token)
                .assertJson(404, "{\"error\":\"Not found: POST /health\"}");
        send(request("/health").POST(HttpRequest.BodyPublishers.noBody()), null)
                .assertJson(404, "{\"error\":\"Not found: POST /health\"}");
    }

    @Test
    void theDispatchGatewayIsNotOnThePublicPort() throws Exception {
        Reply r = postJson("/v1/dispatch-gateway", "{\"type\":\"generate\",\"execution_id\":\"" + UUID.randomUUID()
                + "\"}");

        r.assertJson(404, "{\"error\":\"Not found: POST /v1/dispatch-gateway\"}");
    }

    @Test
    void smcpIsNotOnThePublicPort() throws Exception {
        for (String path : List.of("/v1/smcp/attest", "/v1/smcp/invoke")) {
            postJson(path, "{\"protocol\":\"smcp/v1\"}").assertJson(404, "{\"error\":\"Not found: POST " + path
                    + "\"}");
        }
        send(request("/v1/smcp/tools"), token).assertJson(404, "{\"error\":\"Not found: GET /v1/smcp/tools\"}");
        send(request("/v1/smcp/jwks.json"), token)
                .assertJson(404, "{\"error\":\"Not found: GET /v1/smcp/jwks.json\"}");
    }

    // ---------------------------------------------------------------- helpers

    static String manifest(String name, String version) {
        return """
                apiVersion: 100monkeys.ai/v1
                kind: Agent
                metadata:
                  name: %s
                  version: "%s"
                spec:
                  runtime:
                    language: python
                    version: "3.11"
                  task:
                    instruction: Say hello.
                  tools:
                    - cmd.run
                """.formatted(name, version);
    }

    private static Reply deploy(String yaml, String query) throws Exception {
        return send(request("/v1/agents" + query).header("Content-Type", "application/yaml")
                .POST(HttpRequest.BodyPublishers.ofString(yaml)), token);
    }

    private static HttpRequest.Builder request(String pathAndQuery) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + pathAndQuery))
                .timeout(Duration.ofSeconds(30));
    }

    private static Reply postJson(String path, String json) throws Exception {
        return send(request(path).header("Content-Type", JSON_TYPE)
                .POST(HttpRequest.BodyPublishers.ofString(json, StandardCharsets.UTF_8)), token);
    }

    private static Reply send(HttpRequest.Builder builder, String bearer) throws Exception {
        if (bearer != null) {
            builder.header("Authorization", "Bearer " + bearer);
        }
        HttpResponse<String> response = HTTP.send(builder.build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(response, response.body());
    }

    /** One answer, with assertions that also check it is JSON and never an internal error. */
    private record Reply(HttpResponse<String> response, String body) {

        int status() {
            return response.statusCode();
        }

        String contentType() {
            return response.headers().firstValue("Content-Type").orElse("");
        }

        JsonNode json() {
            return Json.tree(body);
        }

        void assertStatusAndJson(int expected) {
            assertThat(status()).as("status of %s, body %s", response.request().uri(), body).isEqualTo(expected);
            assertThat(contentType()).as("content type of %s", response.request().uri()).startsWith(JSON_TYPE);
            assertThat(body).doesNotContain("Exception");
        }

        void assertJson(int expected, String expectedJson) {
            assertStatusAndJson(expected);
            assertThat(json()).as("body of %s", response.request().uri()).isEqualTo(Json.tree(expectedJson));
        }
    }

    /** An HTTP/1.1 answer read off a raw socket (for requests the JDK client cannot send or cannot read back). */
    private record RawReply(String statusLine, java.util.Map<String, String> headers, String body) {

        String header(String name) {
            return headers.getOrDefault(name, "");
        }

        static RawReply read(java.io.InputStream in) throws IOException {
            java.io.DataInputStream data = new java.io.DataInputStream(in);
            String status = line(data);
            java.util.Map<String, String> headers = new java.util.HashMap<>();
            for (String h = line(data); !h.isEmpty(); h = line(data)) {
                int colon = h.indexOf(':');
                headers.put(h.substring(0, colon).trim().toLowerCase(java.util.Locale.ROOT), h.substring(colon + 1).trim());
            }
            byte[] body = new byte[Integer.parseInt(headers.getOrDefault("content-length", "0"))];
            data.readFully(body);
            return new RawReply(status, headers, new String(body, StandardCharsets.UTF_8));
        }

        private static String line(java.io.DataInputStream in) throws IOException {
            StringBuilder sb = new StringBuilder();
            for (int c = in.read(); c != '\n'; c = in.read()) {
                if (c < 0) {
                    throw new java.io.EOFException("connection closed after: " + sb);
                }
                if (c != '\r') {
                    sb.append((char) c);
                }
            }
            return sb.toString();
        }
    }
}
