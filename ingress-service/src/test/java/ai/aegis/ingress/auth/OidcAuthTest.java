package ai.aegis.ingress.auth;

import ai.aegis.ingress.IngressConfig;
import ai.aegis.ingress.IngressServer;
import ai.aegis.schemas.auth.Caller;
import ai.aegis.schemas.json.Json;
import ai.aegis.schemas.topic.TopicCatalog;
import ai.aegis.testing.SharedTestBroker;
import ai.aegis.topology.kafka.KafkaSettings;
import com.fasterxml.jackson.databind.JsonNode;
import io.helidon.config.Config;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * OIDC tokens on the public API, through real HTTP against a real ingress on a real broker, with an issuer of the
 * test's own: each role gets what it may do and a 403 naming the role it lacks for the rest; a bad token is a 401
 * with an RFC 6750 challenge; the local API token still works beside the issuer.
 */
class OidcAuthTest {

    private static final String AGENT = """
            {"apiVersion":"100monkeys.ai/v1","kind":"Agent","metadata":{"name":"oidc-agent","version":"1.0.0"},
             "spec":{"runtime":{"model":"default"},"task":{"instruction":"x"}}}""";

    @TempDir
    static Path dataDir;
    static LocalIssuer issuer;
    static IngressServer server;
    static String localToken;
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void start() throws Exception {
        issuer = new LocalIssuer();
        KafkaSettings kafka = KafkaSettings.of(SharedTestBroker.get().bootstrapServers(),
                new TopicCatalog("oidc" + UUID.randomUUID().toString().replace("-", ""), 3), "test");
        IngressConfig config = IngressConfig.from(Config.empty(), dataDir).withPort(0).toBuilder()
                .oidc(new OidcSettings(List.of(issuer.config()), OidcSettings.DEFAULT_ROLES_CLAIM,
                        OidcSettings.DEFAULT_CLOCK_SKEW, 1000, OidcSettings.DEFAULT_KEYS_TTL)).build();
        server = IngressServer.start(config, kafka);
        localToken = Files.readString(server.tokenFile()).strip();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
        if (issuer != null) {
            issuer.close();
        }
    }

    private static HttpResponse<String> call(String method, String path, String token, String body)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void anOperatorDoesEverythingAViewerOnlyReads() throws Exception {
        String operator = issuer.token("olga", Caller.OPERATOR);
        String viewer = issuer.token("victor", Caller.VIEWER);

        HttpResponse<String> deployed = call("POST", "/v1/agents", operator, AGENT);
        assertThat(deployed.statusCode()).as(deployed.body()).isBetween(200, 201);
        assertThat(call("GET", "/v1/agents", viewer, null).statusCode()).isEqualTo(200);

        HttpResponse<String> refused = call("POST", "/v1/agents", viewer, AGENT.replace("oidc-agent", "v-agent"));
        assertThat(refused.statusCode()).isEqualTo(403);
        JsonNode body = Json.tree(refused.body());
        assertThat(body.path("error").asText()).isEqualTo("forbidden");
        assertThat(body.path("required_role").asText()).isEqualTo(Caller.OPERATOR);
        assertThat(body.path("message").asText()).contains("victor");
        assertThat(call("POST", "/v1/executions", viewer, "{\"agent_id\":\"" + UUID.randomUUID() + "\"}")
                .statusCode()).isEqualTo(403);
        // an approver reads too, but does not deploy
        String approver = issuer.token("april", Caller.APPROVER);
        assertThat(call("GET", "/v1/agents", approver, null).statusCode()).isEqualTo(200);
        assertThat(call("DELETE", "/v1/agents/" + UUID.randomUUID(), approver, null).statusCode()).isEqualTo(403);
        // a valid token without an Aegis role reads nothing
        HttpResponse<String> roleless = call("GET", "/v1/agents", issuer.token("nobody"), null);
        assertThat(roleless.statusCode()).isEqualTo(403);
        assertThat(Json.tree(roleless.body()).path("required_role").asText()).isEqualTo(Caller.VIEWER);
    }

    @Test
    void aBadTokenIsA401WithAChallengeAndTheLocalTokenStillWorks() throws Exception {
        HttpResponse<String> missing = call("GET", "/v1/agents", null, null);
        assertThat(missing.statusCode()).isEqualTo(401);
        assertThat(missing.headers().firstValue("WWW-Authenticate").orElseThrow())
                .startsWith("Bearer realm=\"aegis\"").contains("error=\"invalid_request\"");

        String foreign = issuer.sign(LocalIssuer.newKey(), c -> c.claim("preferred_username", "mallory"));
        HttpResponse<String> bad = call("GET", "/v1/agents", foreign, null);
        assertThat(bad.statusCode()).isEqualTo(401);
        assertThat(bad.headers().firstValue("WWW-Authenticate").orElseThrow()).contains("error=\"invalid_token\"");
        assertThat(bad.body()).doesNotContain(foreign);
        HttpResponse<String> expired = call("GET", "/v1/agents", issuer.token(c -> c.expirationTime(
                java.util.Date.from(java.time.Instant.now().minusSeconds(120)))), null);
        assertThat(expired.statusCode()).isEqualTo(401);

        assertThat(call("GET", "/v1/agents", localToken, null).statusCode()).isEqualTo(200);
        assertThat(call("GET", "/v1/agents", localToken + "x", null).statusCode()).isEqualTo(401);
        // the probes stay open
        assertThat(call("GET", "/health", null, null).statusCode()).isEqualTo(200);
    }
}
