package ai.aegis.ingress;

import ai.aegis.schemas.execution.ExecutionEvent;
import ai.aegis.schemas.json.Json;
import ai.aegis.topology.kafka.KafkaSettings;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A client that opens an execution's stream and stops reading, through the real broker and real HTTP, while the
 * execution prints megabytes: another client of the same execution gets every event to the end, and the node keeps
 * no more of them than its per-execution bound. A stream is a cursor over the view, so the slow one holds its own
 * socket and nothing else; the tail never waits for it.
 */
class SlowStreamClientTest {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final int OUTPUTS = 2_000;
    private static final String LINE = "y".repeat(4_000);
    private static final long PER_EXECUTION_BYTES = 256 * 1024;

    @TempDir
    Path dataDir;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private IngressServer server;
    private KafkaProducer<String, byte[]> producer;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        if (producer != null) {
            producer.close();
        }
    }

    @Test
    void aClientThatStopsReadingDelaysNoOtherStreamAndCostsNoBuffer() throws Exception {
        KafkaSettings kafka = TestIngress.kafka("slow", 1);
        server = TestIngress.start(kafka, IngressConfig.builder().eventHistoryBytesPerExecution(PER_EXECUTION_BYTES),
                dataDir);
        String token = TestIngress.token(server);
        producer = new KafkaProducer<>(kafka.producer());
        String agentId = Json.tree(send(token, HttpRequest.newBuilder(uri("/v1/agents"))
                .header("Content-Type", "application/yaml")
                .POST(HttpRequest.BodyPublishers.ofString(TestIngress.manifest("printer")))).body())
                .path("agent_id").asText();
        String id = Json.tree(send(token, HttpRequest.newBuilder(uri("/v1/executions"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(Json.write(Map.of("agent_id", agentId, "input", "x")))))
                .body()).path("execution_id").asText();

        try (Socket slow = new Socket()) {
            slow.setReceiveBufferSize(4096); // and it never reads: the server's writes to it block soon
            slow.connect(new InetSocketAddress("127.0.0.1", server.port()), 5000);
            OutputStream out = slow.getOutputStream();
            out.write(("GET /v1/executions/" + id + "/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
                    + token + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();

            String topic = kafka.topics().executionEvents().name();
            producer.send(new ProducerRecord<>(topic, id, Json.writeBytes(
                    new ExecutionEvent.ExecutionStarted(id, agentId, Instant.now()))));
            for (int i = 0; i < OUTPUTS; i++) {
                producer.send(new ProducerRecord<>(topic, id, Json.writeBytes(
                        new ExecutionEvent.IterationOutput(id, 1, "stdout", i + " " + LINE, Instant.now()))));
            }
            producer.send(new ProducerRecord<>(topic, id, Json.writeBytes(
                    new ExecutionEvent.ExecutionCompleted(id, "done", 1, Instant.now())))).get();

            // about 8 MB of events, far more than the slow client's socket takes: the other client gets them all
            HttpResponse<String> fast = http.send(HttpRequest.newBuilder(uri("/v1/executions/" + id + "/stream"))
                    .header("Authorization", "Bearer " + token).timeout(WAIT).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            List<String> types = new ArrayList<>();
            for (String line : fast.body().split("\n")) {
                if (line.startsWith("data: ")) {
                    types.add(Json.tree(line.substring(6)).fieldNames().next());
                }
            }
            assertThat(types).hasSize(OUTPUTS + 2);
            assertThat(types.getFirst()).isEqualTo("execution_started");
            assertThat(types.getLast()).isEqualTo("execution_completed");
            // the view kept at most its bound of them in memory, whoever lags behind; the slow stream is still open
            String metrics = send(token, HttpRequest.newBuilder(uri("/metrics")).GET()).body();
            assertThat(gauge(metrics, "aegis_execution_events_in_memory_bytes")).isPositive()
                    .isLessThanOrEqualTo(PER_EXECUTION_BYTES);
            assertThat(gauge(metrics, "aegis_sse_streams_open")).isEqualTo(1);
        }
    }

    private static long gauge(String metrics, String name) {
        for (String line : metrics.split("\n")) {
            if (line.startsWith(name + " ")) {
                return (long) Double.parseDouble(line.substring(name.length() + 1).strip());
            }
        }
        throw new AssertionError(name + " is not in /metrics");
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }

    private HttpResponse<String> send(String token, HttpRequest.Builder builder) throws Exception {
        return http.send(builder.header("Authorization", "Bearer " + token).timeout(WAIT).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
