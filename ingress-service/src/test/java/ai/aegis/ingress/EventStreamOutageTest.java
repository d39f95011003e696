package ai.aegis.ingress;

import ai.aegis.broker.EmbeddedKafkaBroker;
import ai.aegis.schemas.execution.ExecutionEvent;
import ai.aegis.schemas.json.Json;
import ai.aegis.schemas.topic.TopicCatalog;
import ai.aegis.topology.kafka.DurablePublisher;
import ai.aegis.topology.kafka.KafkaSettings;
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
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A stream whose events are no longer in the node's memory, on a broker of its own: it is served from the topic,
 * and with Kafka gone it is refused with {@code 503} and {@code Retry-After} within the catch-up timeout instead of
 * hanging or answering with a stream that silently lacks its history.
 */
class EventStreamOutageTest {

    @TempDir
    Path brokerDir;

    @TempDir
    Path ingressDir;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private EmbeddedKafkaBroker broker;
    private IngressServer server;

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
    void eventsNotInMemoryComeFromTheTopicAndWithKafkaGoneTheStreamIsRefusedWith503() throws Exception {
        broker = EmbeddedKafkaBroker.start(brokerDir);
        TopicCatalog topics = new TopicCatalog("s" + UUID.randomUUID().toString().replace("-", ""), 3);
        KafkaSettings kafka = KafkaSettings.of(broker.bootstrapServers(), topics, "stream-outage-test");
        IngressConfig config = IngressConfig.from(Config.empty(), ingressDir).toBuilder().port(0)
                .eventHistoryBytesPerExecution(0) // nothing stays in memory: every stream reads the topic
                .catchUpTimeout(Duration.ofSeconds(2)).build();
        server = IngressServer.start(config, kafka);
        String token = Files.readString(server.tokenFile()).strip();
        String id = UUID.randomUUID().toString();
        Instant t = Instant.parse("2026-12-01T10:00:00Z");
        try (DurablePublisher publisher = new DurablePublisher(kafka, "/test")) {
            for (ExecutionEvent e : new ExecutionEvent[] {new ExecutionEvent.ExecutionStarted(id, "agent", t),
                    new ExecutionEvent.ExecutionCompleted(id, "out", 1, t)}) {
                publisher.publish(topics.executionEvents().name(), id, Json.writeBytes(e), "test");
            }
        }
        HttpRequest stream = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()
                        + "/v1/executions/" + id + "/stream")).header("Authorization", "Bearer " + token)
                .timeout(Duration.ofSeconds(60)).GET().build();
        await().atMost(Duration.ofSeconds(30)).until(() -> http.send(HttpRequest.newBuilder(URI.create(
                        "http://127.0.0.1:" + server.port() + "/v1/executions/" + id))
                .header("Authorization", "Bearer " + token).GET().build(), HttpResponse.BodyHandlers.ofString())
                .body().contains("\"completed\""));

        HttpResponse<String> fromTopic = http.send(stream, HttpResponse.BodyHandlers.ofString());
        assertThat(fromTopic.statusCode()).isEqualTo(200);
        assertThat(fromTopic.body()).contains("{\"execution_started\":").contains("{\"execution_completed\":");

        broker.stop();
        broker = null;

        HttpResponse<String> refused = http.send(stream, HttpResponse.BodyHandlers.ofString());
        assertThat(refused.statusCode()).isEqualTo(503);
        assertThat(Json.tree(refused.body())).isEqualTo(Json.tree("{\"error\":\"unavailable\"}"));
        assertThat(refused.headers().firstValue("Retry-After")).isPresent();
        HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + server.port() + "/metrics")).header("Authorization", "Bearer " + token).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(metrics.body()).containsPattern("(?m)^aegis_sse_history_unavailable_total 1$")
                .containsPattern("(?m)^aegis_sse_events_read_back_total 2$");
    }
}
