package ai.aegis.worker.gateway;

import ai.aegis.schemas.json.Json;
import ai.aegis.worker.execution.RecordingSink;
import ai.aegis.worker.llm.ModelRegistry;
import ai.aegis.worker.llm.ResolvedModel;
import ai.aegis.worker.llm.scripted.ScriptStep;
import ai.aegis.worker.llm.scripted.ScriptedProvider;
import ai.aegis.worker.smcp.SmcpMetrics;
import ai.aegis.worker.smcp.policy.SecurityContexts;
import ai.aegis.worker.smcp.tools.ToolInvoker;
import com.fasterxml.jackson.databind.JsonNode;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.HttpRouting;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The dispatch gateway through real HTTP on an internal listener built the way {@code WorkerService.start} builds
 * it: the token in the Authorization header, JSON in and out, JSON 404s for anything else.
 */
class DispatchGatewayHttpTest {

    private static final String TOKEN = "token-" + UUID.randomUUID();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static final InnerLoopRegistry SESSIONS = new InnerLoopRegistry();
    private static final RecordingSink EVENTS = new RecordingSink();
    private static WebServer server;

    @BeforeAll
    static void startListener() {
        ScriptedProvider provider = new ScriptedProvider("scripted-http", Map.of("hello", List.of(
                ScriptStep.toolCall("cmd.run", Json.tree("{\"command\":\"echo hello\"}")),
                ScriptStep.reply("got {{last_tool_stdout}}"))));
        DispatchGateway gateway = new DispatchGateway(SESSIONS,
                new ModelRegistry(List.of(new ResolvedModel("default", provider, "hello"))),
                ToolInvoker.builtinOnly(65_536), new SmcpMetrics());
        HttpRouting.Builder routing = HttpRouting.builder();
        DispatchGatewayRoutes.install(routing, gateway);
        server = WebServer.builder()
                .host("127.0.0.1")
                .port(0)
                .maxPayloadSize(4L * 65_536 + 64 * 1024)
                .shutdownGracePeriod(Duration.ofSeconds(1))
                .routing(routing)
                .build()
                .start();
    }

    @AfterAll
    static void stopListener() {
        if (server != null) {
            server.stop();
        }
    }

    private static InnerLoopSession session() {
        InnerLoopSession s = new InnerLoopSession(UUID.randomUUID().toString(), UUID.randomUUID().toString(), 1,
                TOKEN, List.of("cmd.run"), "default",
                SecurityContexts.defaults().get(SecurityContexts.DEFAULT).orElseThrow(), EVENTS);
        SESSIONS.register(s);
        return s;
    }

    private static String generate(InnerLoopSession s) {
        return "{\"type\":\"generate\",\"execution_id\":\"" + s.executionId()
                + "\",\"iteration_number\":1,\"prompt\":\"say hello\"}";
    }

    private static HttpResponse<String> post(String path, String body, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode assertJson(HttpResponse<String> r, int status) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(
                v -> assertThat(v).startsWith("application/json"));
        return Json.tree(r.body());
    }

    @Test
    void aMissingTokenIs401() throws Exception {
        InnerLoopSession s = session();

        JsonNode body = assertJson(post(DispatchGatewayRoutes.PATH, generate(s), null), 401);

        assertThat(body).isEqualTo(Json.tree("{\"error\":\"missing or invalid execution token\"}"));
        assertThat(s.started).isFalse();
    }

    @Test
    void aWrongTokenIs401() throws Exception {
        InnerLoopSession s = session();

        assertThat(assertJson(post(DispatchGatewayRoutes.PATH, generate(s), "nope"), 401))
                .isEqualTo(Json.tree("{\"error\":\"missing or invalid execution token\"}"));
        // Another scheme than Bearer is no token at all.
        HttpResponse<String> basic = HTTP.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + server.port() + DispatchGatewayRoutes.PATH))
                .header("Authorization", "Basic " + TOKEN)
                .POST(HttpRequest.BodyPublishers.ofString(generate(s))).build(), HttpResponse.BodyHandlers.ofString());
        assertJson(basic, 401);
        assertThat(s.started).isFalse();
    }

    @Test
    void malformedJsonIs400() throws Exception {
        assertThat(assertJson(post(DispatchGatewayRoutes.PATH, "{\"type\": \"generate\",", TOKEN), 400))
                .isEqualTo(Json.tree("{\"error\":\"Malformed JSON\"}"));
        assertThat(assertJson(post(DispatchGatewayRoutes.PATH, "", TOKEN), 400).path("error").asText())
                .isNotBlank();
    }

    @Test
    void aValidGenerateGetsADispatchAndTheResultAFinalAnswer() throws Exception {
        InnerLoopSession s = session();

        JsonNode dispatch = assertJson(post(DispatchGatewayRoutes.PATH, generate(s), TOKEN), 200);

        assertThat(dispatch.path("type").asText()).isEqualTo("dispatch");
        assertThat(dispatch.path("action").asText()).isEqualTo("exec");
        assertThat(dispatch.path("command").asText()).isEqualTo("echo hello");
        assertThat(dispatch.path("max_output_bytes").asLong()).isEqualTo(65_536);

        String result = "{\"type\":\"dispatch_result\",\"execution_id\":\"" + s.executionId()
                + "\",\"dispatch_id\":\"" + dispatch.path("dispatch_id").asText()
                + "\",\"exit_code\":0,\"stdout\":\"hello\\n\",\"stderr\":\"\",\"duration_ms\":3,\"truncated\":false}";
        JsonNode fin = assertJson(post(DispatchGatewayRoutes.PATH, result, TOKEN), 200);

        assertThat(fin.path("type").asText()).isEqualTo("final");
        assertThat(fin.path("content").asText()).isEqualTo("got hello");
        assertThat(fin.path("tool_calls_executed").asInt()).isEqualTo(1);
        assertThat(s.finalContent()).isEqualTo("got hello");

        // Replaying the result is a conflict, not a second run.
        assertThat(assertJson(post(DispatchGatewayRoutes.PATH, result, TOKEN), 409).path("error").asText())
                .isNotBlank();
    }

    @Test
    void unknownPathsAndMethodsAreJson404s() throws Exception {
        assertThat(assertJson(post("/v1/nope", "{}", TOKEN), 404)).isEqualTo(Json.tree("{\"error\":\"Not found\"}"));
        assertThat(assertJson(post("/v1/executions", "{}", TOKEN), 404))
                .isEqualTo(Json.tree("{\"error\":\"Not found\"}"));
        HttpResponse<String> get = HTTP.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + server.port() + DispatchGatewayRoutes.PATH)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(assertJson(get, 404)).isEqualTo(Json.tree("{\"error\":\"Not found\"}"));
    }
}
