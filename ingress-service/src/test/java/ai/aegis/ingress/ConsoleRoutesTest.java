package ai.aegis.ingress;

import ai.aegis.ingress.auth.LocalApiToken;
import ai.aegis.ingress.deadletters.DeadLetterView;
import ai.aegis.ingress.health.Readiness;
import ai.aegis.schemas.topic.TopicCatalog;
import ai.aegis.topology.health.ComponentHealth;
import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.webclient.http1.Http1ClientRequest;
import io.helidon.webclient.http1.Http1ClientResponse;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.testing.junit5.DirectClient;
import io.helidon.webserver.testing.junit5.RoutingTest;
import io.helidon.webserver.testing.junit5.SetUpRoute;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The web console's routes in memory, on the whole public routing: its static files (types, caching, security
 * headers), the login that sets the cookie, the API with the cookie (reads; writes only with the CSRF header), logout.
 */
@RoutingTest
class ConsoleRoutesTest {

    private static final TopicCatalog TOPICS = new TopicCatalog("mem", 1);
    private static final IngressViews VIEWS = new IngressViews(TOPICS, IngressConfig.builder()
            .dataDir(Path.of("unused")).maxExecutionsInMemory(100).build().viewLimits());
    private static final InMemoryKafka KAFKA = new InMemoryKafka(VIEWS);
    private static String token;

    private final DirectClient client;

    ConsoleRoutesTest(DirectClient client) {
        this.client = client;
    }

    @SetUpRoute
    static void routing(HttpRouting.Builder routing) throws IOException {
        Path dataDir = Files.createTempDirectory("aegis-console-routes");
        dataDir.toFile().deleteOnExit();
        LocalApiToken apiToken = LocalApiToken.loadOrCreate(dataDir);
        token = Files.readString(apiToken.file()).strip();
        IngressConfig config = IngressConfig.builder().dataDir(dataDir).build();
        new IngressRouting(config, TOPICS, VIEWS, new DeadLetterView(10), KAFKA, KAFKA, KAFKA, apiToken)
                .routing(routing, new Readiness(Map.of("kafka", () -> ComponentHealth.of(true))));
    }

    @Test
    void theStaticFilesAreServedWithTheirTypesRevalidationAndSecurityHeaders() {
        Map<String, String> types = new LinkedHashMap<>();
        types.put("/console/", "text/html");
        types.put("/console/index.html", "text/html");
        types.put("/console/console.css", "text/css");
        types.put("/console/app.js", "text/javascript");
        types.put("/console/api.js", "text/javascript");
        types.put("/console/views.js", "text/javascript");
        types.put("/console/fsm.js", "text/javascript");
        types.put("/console/favicon.svg", "image/svg+xml");
        types.forEach((path, type) -> {
            Reply r = send(Method.GET, path, null, Map.of());
            assertThat(r.status).as(path).isEqualTo(200);
            assertThat(r.header("Content-Type")).as(path).startsWith(type);
            assertThat(r.header("Cache-Control")).as(path).isEqualTo("no-cache");
            assertSecurityHeaders(r, path);
            assertThat(r.body).as(path).isNotBlank();
        });
        Reply index = send(Method.GET, "/console/", null, Map.of());
        // nothing from elsewhere: no CDN, no inline script
        assertThat(index.body).contains("<script type=\"module\" src=\"app.js\"></script>")
                .doesNotContain("http://").doesNotContain("https://");
        Reply redirect = send(Method.GET, "/console", null, Map.of());
        assertThat(redirect.status).isEqualTo(301);
        assertThat(redirect.header("Location")).isEqualTo("/console/");
    }

    @Test
    void theFilesUseNothingTheirContentSecurityPolicyBlocks() {
        // default-src 'self': no inline script, style or event handler attribute runs
        String index = send(Method.GET, "/console/", null, Map.of()).body;
        assertThat(index).doesNotContainPattern("<script(?![^>]*\\ssrc=)").doesNotContain("<style")
                .doesNotContainPattern("\\sstyle=").doesNotContainPattern("\\son[a-z]+=");
        for (String js : List.of("app.js", "api.js", "views.js", "fsm.js")) {
            // nor eval, style attributes or javascript: URLs; nor HTML parsed from strings (data is always text)
            assertThat(send(Method.GET, "/console/" + js, null, Map.of()).body).as(js)
                    .doesNotContain("eval(", "new Function", "'style'", "javascript:", "innerHTML", "outerHTML",
                            "insertAdjacentHTML");
        }
    }

    @Test
    void onlyTheConsolesOwnFilesAreServed() {
        for (String path : List.of("/console/missing.js", "/console/ConsoleRoutes.class", "/console/..%2Fpom.xml")) {
            Reply r = send(Method.GET, path, null, Map.of());
            assertThat(r.status).as(path).isEqualTo(404);
            assertSecurityHeaders(r, path);
        }
    }

    @Test
    void loginRefusesABadTokenAndSetsTheCookieForAGoodOne() {
        Reply bad = send(Method.POST, "/console/session", "{\"token\":\"not-" + token + "\"}", csrf());
        assertThat(bad.status).isEqualTo(401);
        assertThat(bad.header("Set-Cookie")).isNull();
        assertThat(bad.body).doesNotContain(token);
        Reply noHeader = send(Method.POST, "/console/session", "{\"token\":\"" + token + "\"}", Map.of());
        assertThat(noHeader.status).isEqualTo(403);
        assertThat(noHeader.header("Set-Cookie")).isNull();
        assertThat(send(Method.POST, "/console/session", "{}", csrf()).status).isEqualTo(400);

        Reply good = send(Method.POST, "/console/session", "{\"token\":\"" + token + "\"}", csrf());
        assertThat(good.status).as(good.body).isEqualTo(200);
        assertThat(good.body).contains("\"roles\":[\"aegis-operator\"]").doesNotContain(token);
        assertThat(good.header("Set-Cookie")).isEqualTo("aegis_console=" + token
                + "; Path=/; HttpOnly; SameSite=Strict");
        assertThat(good.header("Cache-Control")).isEqualTo("no-store");
        assertSecurityHeaders(good, "login");

        assertThat(send(Method.GET, "/console/session", null, cookie(token)).status).isEqualTo(200);
        assertThat(send(Method.GET, "/console/session", null, cookie("nope")).status).isEqualTo(401);
        assertThat(send(Method.GET, "/console/session", null, Map.of()).status).isEqualTo(401);
    }

    @Test
    void theApiTakesTheCookieForReadsAndWantsTheCsrfHeaderForWrites() {
        assertThat(send(Method.GET, "/v1/executions", null, Map.of()).status).isEqualTo(401);
        assertThat(send(Method.GET, "/v1/executions", null, cookie("not-" + token)).status).isEqualTo(401);
        Reply list = send(Method.GET, "/v1/executions", null, cookie(token));
        assertThat(list.status).as(list.body).isEqualTo(200);
        assertThat(list.body).startsWith("[");
        assertThat(send(Method.GET, "/v1/executions/" + UUID.randomUUID() + "/stream", null, cookie(token)).status)
                .isEqualTo(404);

        String agent = """
                {"apiVersion":"100monkeys.ai/v1","kind":"Agent","metadata":{"name":"console-a","version":"1"},
                 "spec":{"runtime":{"model":"m"},"task":{"prompt_template":"{{input}}"}}}""";
        Reply noHeader = send(Method.POST, "/v1/agents", agent, cookie(token));
        assertThat(noHeader.status).isEqualTo(403);
        assertThat(noHeader.body).contains("X-Aegis-Console");
        Map<String, String> both = new LinkedHashMap<>(cookie(token));
        both.putAll(csrf());
        Reply deployed = send(Method.POST, "/v1/agents", agent, both);
        assertThat(deployed.status).as(deployed.body).isIn(200, 201);
        // a wrong value is no header
        Map<String, String> wrong = new LinkedHashMap<>(cookie(token));
        wrong.put("X-Aegis-Console", "yes");
        assertThat(send(Method.POST, "/v1/executions/" + UUID.randomUUID() + "/cancel", null, wrong).status)
                .isEqualTo(403);
        // the bearer header needs no CSRF header (a cross-site page cannot set it either)
        assertThat(send(Method.POST, "/v1/executions/" + UUID.randomUUID() + "/cancel", null,
                Map.of("Authorization", "Bearer " + token)).status).isEqualTo(404);
    }

    @Test
    void logoutClearsTheCookie() {
        assertThat(send(Method.POST, "/console/logout", null, cookie(token)).status).isEqualTo(403);
        Map<String, String> both = new LinkedHashMap<>(cookie(token));
        both.putAll(csrf());
        Reply out = send(Method.POST, "/console/logout", null, both);
        assertThat(out.status).isEqualTo(200);
        assertThat(out.header("Set-Cookie")).isEqualTo("aegis_console=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    }

    private static void assertSecurityHeaders(Reply r, String what) {
        assertThat(r.header("Content-Security-Policy")).as(what).startsWith("default-src 'self'");
        assertThat(r.header("X-Content-Type-Options")).as(what).isEqualTo("nosniff");
        assertThat(r.header("Referrer-Policy")).as(what).isEqualTo("no-referrer");
        assertThat(r.header("X-Frame-Options")).as(what).isEqualTo("DENY");
    }

    private static Map<String, String> csrf() {
        return Map.of("X-Aegis-Console", "1");
    }

    private static Map<String, String> cookie(String value) {
        return Map.of("Cookie", "other=1; aegis_console=" + value);
    }

    private Reply send(Method method, String path, String body, Map<String, String> headers) {
        Http1ClientRequest req = client.method(method).uri(path).followRedirects(false);
        headers.forEach((k, v) -> req.header(HeaderNames.create(k), v));
        if (body != null) {
            req.header(HeaderNames.CONTENT_TYPE, "application/json");
        }
        try (Http1ClientResponse res = body == null ? req.request() : req.submit(body)) {
            Map<String, String> got = new LinkedHashMap<>();
            res.headers().forEach(h -> got.put(h.name().toLowerCase(), h.get()));
            return new Reply(res.status().code(), got, res.entity().hasEntity() ? res.as(String.class) : "");
        }
    }

    private record Reply(int status, Map<String, String> headers, String body) {
        String header(String name) {
            return headers.get(name.toLowerCase());
        }
    }
}
