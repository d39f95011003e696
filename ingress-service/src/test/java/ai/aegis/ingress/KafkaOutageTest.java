package ai.aegis.ingress;

import ai.aegis.broker.EmbeddedKafkaBroker;
import ai.aegis.schemas.execution.ExecutionEvent;
import ai.aegis.schemas.json.Json;
import ai.aegis.schemas.topic.TopicCatalog;
import ai.aegis.topology.kafka.DurablePublisher;
import ai.aegis.topology.kafka.KafkaSettings;
import com.fasterxml.jackson.databind.JsonNode;
import io.helidon.config.Config;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The ingress with Kafka gone and back, on a broker of its own (stopping the shared one would hurt every other
 * test): writes answer 503 quickly instead of hanging, readiness says Kafka and the node's tail are down, and once
 * the broker returns on the same data directory the same ingress takes writes again and its tail reads on, healed,
 * without a restart; a stream that needs events from the topic is refused instead of hanging.
 */
class KafkaOutageTest {

    /** "Never hang", not a benchmark: the ack timeout is 5 s; leave room for a loaded 2-core CI machine. */
    private static final Duration MAX_UNAVAILABLE_ANSWER = Duration.ofSeconds(20);

    @TempDir
    Path brokerDir;

    @TempDir
    Path ingressDir;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private EmbeddedKafkaBroker broker;
    private IngressServer server;
    private String token;

    @AfterEach
    void stopAll() {
        if (server != null) {
            server.close();
        }
        if (broker != null) {
            broker.stop();
        }
    }

    @Test
    void writesAnswer503WhileKafkaIsDownAndRecoverWithoutARestart() throws Exception {
        broker = EmbeddedKafkaBroker.start(brokerDir);
        KafkaSettings kafka = KafkaSettings.of(broker.bootstrapServers(),
                new TopicCatalog("t" + UUID.randomUUID().toString().replace("-", ""), 3), "outage-test");
        server = IngressServer.start(IngressConfig.from(Config.empty(), ingressDir).withPort(0), kafka);
        token = Files.readString(server.tokenFile()).strip();

        HttpResponse<String> deployed = send(request("/v1/agents").header("Content-Type", "application/yaml")
                .POST(HttpRequest.BodyPublishers.ofString(MANIFEST)));
        assertThat(deployed.statusCode()).as(deployed.body()).isIn(200, 201);
        String agentId = Json.tree(deployed.body()).path("agent_id").asText();
        String before = startExecution(agentId);
        assertThat(before).isNotBlank();

        broker.stop();

        long started = System.nanoTime();
        HttpResponse<String> refused = send(executionRequest(agentId));
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        System.out.println("503 with Kafka down answered in " + took.toMillis() + " ms");
        assertThat(took).as("time to answer a write with Kafka down").isLessThan(MAX_UNAVAILABLE_ANSWER);
        assertThat(refused.statusCode()).isEqualTo(503);
        assertThat(refused.headers().firstValue("Content-Type")).hasValueSatisfying(
                v -> assertThat(v).startsWith("application/json"));
        assertThat(Json.tree(refused.body())).isEqualTo(Json.tree("{\"error\":\"unavailable\"}"));
        assertThat(refused.headers().firstValue("Retry-After")).hasValueSatisfying(
                v -> assertThat(Integer.parseInt(v)).isPositive());

        // Readiness caches its probe for a moment, so the first answer after the stop may still be the old one. The
        // tails notice within their call timeout (5 s) that the cluster does not answer: they say so, and retry.
        await().atMost(Duration.ofSeconds(40)).untilAsserted(() -> {
            HttpResponse<String> ready = send(request("/health/ready").GET());
            assertThat(ready.statusCode()).isEqualTo(503);
            JsonNode body = Json.tree(ready.body());
            assertThat(body.path("components").path("kafka").path("state").asText()).isEqualTo("down");
            assertThat(body.path("components").path("tail.ingress").path("state").asText()).isEqualTo("down");
            assertThat(body.path("components").path("tail.ingress").has("error")).isTrue();
            assertThat(body.path("status").asText()).isEqualTo("not_ready");
        });
        // Reads of what the node already holds keep working through the outage.
        assertThat(send(request("/v1/executions/" + before).GET()).statusCode()).isEqualTo(200);
        // Liveness is not readiness: the process is fine.
        assertThat(send(request("/health").GET()).statusCode()).isEqualTo(200);

        broker = EmbeddedKafkaBroker.start(brokerDir);
        assertThat(broker.bootstrapServers()).isEqualTo(kafka.bootstrapServers());

        List<String> accepted = new ArrayList<>();
        AtomicReference<HttpResponse<String>> last = new AtomicReference<>();
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).until(() -> {
            HttpResponse<String> r = send(executionRequest(agentId));
            last.set(r);
            if (r.statusCode() == 200) {
                accepted.add(Json.tree(r.body()).path("execution_id").asText());
                return true;
            }
            assertThat(r.statusCode()).as("only 503 while recovering: " + r.body()).isEqualTo(503);
            return false;
        });
        assertThat(last.get().statusCode()).isEqualTo(200);
        accepted.add(startExecution(agentId));

        for (String id : accepted) {
            HttpResponse<String> got = send(request("/v1/executions/" + id).GET());
            assertThat(got.statusCode()).as(got.body()).isEqualTo(200);
            JsonNode view = Json.tree(got.body());
            assertThat(view.path("id").asText()).isEqualTo(id);
            assertThat(view.path("agent_id").asText()).isEqualTo(agentId);
            assertThat(view.path("status").asText()).isEqualTo("pending");
        }
        HttpResponse<String> listed = send(request("/v1/executions?agent_id=" + agentId + "&limit=1000").GET());
        assertThat(listed.statusCode()).isEqualTo(200);
        List<String> listedIds = new ArrayList<>();
        Json.tree(listed.body()).forEach(e -> listedIds.add(e.path("id").asText()));
        assertThat(listedIds).containsAll(accepted).contains(before);

        // The tails healed: up, caught up with what was written since, with no restart of the ingress.
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            HttpResponse<String> ready = send(request("/health/ready").GET());
            assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
            JsonNode tail = Json.tree(ready.body()).path("components").path("tail.ingress");
            assertThat(tail.path("state").asText()).isEqualTo("up");
            assertThat(tail.path("lag").asLong()).isZero();
        });
    }

    /**
     * A stream whose events are no longer in the node's memory is served from the topic; with Kafka gone it is
     * refused with 503 and Retry-After within the catch-up timeout instead of hanging or lacking its history.
     */
    @Test
    void eventsNotInMemoryComeFromTheTopicAndWithKafkaGoneTheStreamIsRefusedWith503() throws Exception {
        broker = EmbeddedKafkaBroker.start(brokerDir);
        TopicCatalog topics = new TopicCatalog("s" + UUID.randomUUID().toString().replace("-", ""), 3);
        KafkaSettings kafka = KafkaSettings.of(broker.bootstrapServers(), topics, "stream-outage-test");
        IngressConfig config = IngressConfig.from(Config.empty(), ingressDir).toBuilder().port(0)
                .eventHistoryBytesPerExecution(0) // nothing stays in memory: every stream reads the topic
                .catchUpTimeout(Duration.ofSeconds(2)).build();
        server = IngressServer.start(config, kafka);
        token = Files.readString(server.tokenFile()).strip();
        String id = UUID.randomUUID().toString();
        Instant t = Instant.parse("2026-12-01T10:00:00Z");
        try (DurablePublisher publisher = new DurablePublisher(kafka, "/test")) {
            for (ExecutionEvent e : new ExecutionEvent[] {new ExecutionEvent.ExecutionStarted(id, "agent", t),
                    new ExecutionEvent.ExecutionCompleted(id, "out", 1, t)}) {
                publisher.publish(topics.executionEvents().name(), id, Json.writeBytes(e), "test");
            }
        }
        String stream = "/v1/executions/" + id + "/stream";
        await().atMost(Duration.ofSeconds(30)).until(() ->
                send(request("/v1/executions/" + id).GET()).body().contains("\"completed\""));

        HttpResponse<String> fromTopic = send(request(stream).GET());
        assertThat(fromTopic.statusCode()).isEqualTo(200);
        assertThat(fromTopic.body()).contains("{\"execution_started\":").contains("{\"execution_completed\":");

        broker.stop();
        broker = null;

        HttpResponse<String> refused = send(request(stream).GET());
        assertThat(refused.statusCode()).isEqualTo(503);
        assertThat(Json.tree(refused.body())).isEqualTo(Json.tree("{\"error\":\"unavailable\"}"));
        assertThat(refused.headers().firstValue("Retry-After")).isPresent();
        assertThat(send(request("/metrics").GET()).body())
                .containsPattern("(?m)^aegis_sse_history_unavailable_total 1$")
                .containsPattern("(?m)^aegis_sse_events_read_back_total 2$");
    }

    private String startExecution(String agentId) throws Exception {
        HttpResponse<String> r = send(executionRequest(agentId));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return Json.tree(r.body()).path("execution_id").asText();
    }

    private HttpRequest.Builder executionRequest(String agentId) {
        return request("/v1/executions").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"agent_id\":\"" + agentId + "\",\"input\":\"hi\"}"));
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .timeout(Duration.ofSeconds(60));
    }

    private HttpResponse<String> send(HttpRequest.Builder builder) throws Exception {
        return http.send(builder.header("Authorization", "Bearer " + token).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static final String MANIFEST = """
            apiVersion: 100monkeys.ai/v1
            kind: Agent
            metadata:
              name: outage-agent
              version: "1.0.0"
            spec:
              runtime:
                language: python
                version: "3.11"
              tools: [cmd.run]
            """;
}
