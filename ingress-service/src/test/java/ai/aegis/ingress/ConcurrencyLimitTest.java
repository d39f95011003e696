package ai.aegis.ingress;

import ai.aegis.http.Api;
import ai.aegis.schemas.json.Json;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code aegis.ingress.max-concurrent-requests} on the real listener and a real broker: past the limit a request is
 * refused at once with {@code 503}, {@code Retry-After: 1} and a JSON error; event streams and the probes are never
 * counted nor refused; the place comes back when the request that held it ends; {@code /metrics} counts every
 * refusal.
 *
 * <p>The one place is held without any sleep or timing: a raw connection sends a deploy's headers and only part of
 * its body, so the route sits reading the body until the test sends the rest.
 */
class ConcurrencyLimitTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final int BURST = 40;

    @TempDir
    Path dataDir;

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    /** Every overload refusal this test received: the metric must say the same. */
    private final AtomicInteger refusals = new AtomicInteger();
    private IngressServer server;
    private String token;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void pastTheLimitRequestsAreRefusedWith503WhileStreamsAndProbesAreNot() throws Exception {
        server = TestIngress.start("limit", IngressConfig.builder().maxConcurrentRequests(1), dataDir);
        token = TestIngress.token(server);

        HttpResponse<String> deployed = send(post("/v1/agents", "application/yaml", TestIngress.manifest("limit-agent")));
        assertThat(deployed.statusCode()).as(deployed.body()).isEqualTo(201);
        String agentId = Json.tree(deployed.body()).path("agent_id").asText();
        HttpResponse<String> started = send(post("/v1/executions", "application/json",
                "{\"agent_id\":\"" + agentId + "\",\"input\":\"x\"}"));
        assertThat(started.statusCode()).as(started.body()).isEqualTo(200);
        String execution = "/v1/executions/" + Json.tree(started.body()).path("execution_id").asText();

        // An open stream holds no place: with one stream open, requests are still served.
        String body = TestIngress.manifest("held-agent");
        int half = body.length() / 2;
        java.util.concurrent.atomic.AtomicReference<RawHttp> holding = new java.util.concurrent.atomic.AtomicReference<>();
        try (RawHttp stream = openStream(execution)) {
            assertThat(send(get(execution)).statusCode()).isEqualTo(200);
            assertThat(send(get("/v1/agents")).statusCode()).isEqualTo(200);

            // The one place, held: a deploy whose body is only partly sent waits in the route for the rest. A
            // request answered a moment ago may not have given its place back yet (its answer leaves before the
            // filter returns): then the deploy itself is refused, at once, and is sent again on a new connection.
            await().atMost(WAIT).until(() -> {
                RawHttp held = holding.get();
                if (held == null || held.answered()) {
                    if (held != null) {
                        RawHttp.Reply early = held.reply();
                        assertThat(early.status()).as(early.body()).isEqualTo(503);
                        refusals.incrementAndGet();
                        held.close();
                    }
                    held = new RawHttp(server.port());
                    held.send("POST", "/v1/agents", Map.of("Authorization", "Bearer " + token,
                            "Content-Type", "application/yaml", "Content-Length", Integer.toString(body.length())),
                            null);
                    held.write(body.substring(0, half));
                    holding.set(held);
                }
                return refused(send(get(execution)));
            });
            RawHttp holder = holding.get();

            // Everything else that counts is refused at once, all of it, from many threads at the same moment.
            List<HttpResponse<String>> burst = new ArrayList<>();
            try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<HttpResponse<String>>> pending = new ArrayList<>();
                for (int i = 0; i < BURST; i++) {
                    String path = i % 2 == 0 ? execution : "/v1/agents";
                    pending.add(threads.submit(() -> send(get(path))));
                }
                for (Future<HttpResponse<String>> f : pending) {
                    burst.add(f.get());
                }
            }
            for (HttpResponse<String> r : burst) {
                assertThat(refused(r)).as("%s %s", r.statusCode(), r.body()).isTrue();
                assertThat(r.headers().firstValue("Retry-After")).contains("1");
                assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(
                        type -> assertThat(type).startsWith("application/json"));
                assertThat(Json.tree(r.body())).isEqualTo(Json.tree("{\"error\":\"" + Api.OVERLOADED + "\"}"));
            }

            // The probes and streams are never counted: they answer while the place is held.
            HttpResponse<String> live = http.send(get("/health").build(), HttpResponse.BodyHandlers.ofString());
            assertThat(live.statusCode()).isEqualTo(200);
            HttpResponse<String> ready = http.send(get("/health/ready").build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(Json.tree(ready.body()).has("components")).as(ready.body()).isTrue();
            try (RawHttp second = openStream(execution)) {
                assertThat(second).isNotNull();
            }

            // The rest of the body: the held request ends, its place comes back.
            holder.write(body.substring(half));
            RawHttp.Reply held = holder.reply();
            assertThat(held.status()).as(held.body()).isEqualTo(201);
            await().atMost(WAIT).until(() -> !refused(send(get(execution))));
        } finally {
            if (holding.get() != null) {
                holding.get().close();
            }
        }

        String metrics = send(get("/metrics")).body();
        assertThat(metrics).contains("# TYPE aegis_http_requests_refused_overload_total counter")
                .contains("aegis_http_requests_refused_overload_total " + refusals.get());
        assertThat(refusals.get()).isGreaterThanOrEqualTo(BURST + 1);
    }

    /** Opens an execution's stream on a connection of its own and reads up to its first frame. */
    private RawHttp openStream(String execution) throws Exception {
        RawHttp stream = new RawHttp(server.port());
        stream.send("GET", execution + "/stream", Map.of("Authorization", "Bearer " + token), null);
        RawHttp.Head head = stream.head();
        assertThat(head.status()).isEqualTo(200);
        assertThat(stream.chunk()).startsWith(": connected");
        return stream;
    }

    /** True for the limit's refusal (a 503 of Kafka being away has another body and Retry-After); counts it. */
    private boolean refused(HttpResponse<String> r) {
        boolean refused = r.statusCode() == 503 && r.body().contains(Api.OVERLOADED);
        if (refused) {
            refusals.incrementAndGet();
        }
        return refused;
    }

    private HttpRequest.Builder get(String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).GET();
    }

    private HttpRequest.Builder post(String path, String type, String body) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .header("Content-Type", type).POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
    }

    private HttpResponse<String> send(HttpRequest.Builder builder) throws Exception {
        return http.send(builder.header("Authorization", "Bearer " + token).timeout(WAIT).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
