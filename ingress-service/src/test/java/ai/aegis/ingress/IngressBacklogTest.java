package ai.aegis.ingress;

import ai.aegis.schemas.execution.ExecutionEvent;
import ai.aegis.schemas.json.Json;
import ai.aegis.topology.kafka.KafkaSettings;
import com.fasterxml.jackson.databind.JsonNode;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The ingress under a backlog, through the real broker and real HTTP, the test playing the worker (it writes the
 * events a worker would): admission control refuses what would grow the workers' backlog past its bounds, 429 for
 * one agent and 503 for all, with {@code Retry-After} and a body naming the bound, and accepts again once the backlog
 * shrinks; executions that finish while many wait stay answerable by id, by status and as a stream (history, then
 * {@code 204} after the end), from memory or from the node's archive on disk, also after the node restarts. Before,
 * nothing was ever refused, and once the pending executions filled the view every execution that finished was
 * forgotten at once: {@code GET} answered 404 right after it completed.
 */
class IngressBacklogTest {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final int IN_MEMORY = 5;
    private static final int MAX_PENDING = 40;
    private static final int MAX_PER_AGENT = 30;

    @TempDir
    Path dataDir;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private IngressServer server;
    private KafkaProducer<String, byte[]> producer;
    private String token;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        if (producer != null) {
            producer.close();
        }
    }

    private void start(KafkaSettings kafka) throws Exception {
        server = TestIngress.start(kafka, IngressConfig.builder().maxExecutionsInMemory(IN_MEMORY)
                .maxPendingExecutions(MAX_PENDING).maxPendingPerAgent(MAX_PER_AGENT), dataDir);
        token = TestIngress.token(server);
    }

    @Test
    void theBacklogIsBoundedAndFinishedExecutionsStayAnswerableWhileOthersWait() throws Exception {
        KafkaSettings kafka = TestIngress.kafka("backlog", 2);
        start(kafka);
        producer = new KafkaProducer<>(kafka.producer());
        String a = deploy("agent-a");
        String b = deploy("agent-b");

        List<String> ofA = new ArrayList<>();
        for (int i = 0; i < MAX_PER_AGENT; i++) {
            ofA.add(startExecution(a));
        }
        HttpResponse<String> agentFull = post(a);
        assertThat(agentFull.statusCode()).as(agentFull.body()).isEqualTo(429);
        assertThat(agentFull.headers().firstValue("Retry-After")).isPresent();
        JsonNode agentBody = Json.tree(agentFull.body());
        assertThat(agentBody.path("error").asText()).isEqualTo("agent_backlog_full");
        assertThat(agentBody.path("bound").asText()).isEqualTo("agent");
        assertThat(agentBody.path("pending").asInt()).isEqualTo(MAX_PER_AGENT);
        assertThat(agentBody.path("message").asText()).contains(a);

        for (int i = 0; i < MAX_PENDING - MAX_PER_AGENT; i++) {
            startExecution(b);
        }
        HttpResponse<String> allFull = post(b);
        assertThat(allFull.statusCode()).as(allFull.body()).isEqualTo(503);
        assertThat(allFull.headers().firstValue("Retry-After")).isPresent();
        assertThat(Json.tree(allFull.body()).path("bound").asText()).isEqualTo("global");
        assertThat(Json.tree(allFull.body()).path("error").asText()).isEqualTo("backlog_full");

        // the "worker" runs 20 of agent a's to their end; the other 20 keep waiting
        List<String> finished = ofA.subList(0, 20);
        for (String id : finished) {
            event(kafka, id, new ExecutionEvent.ExecutionStarted(id, a, Instant.now()));
            event(kafka, id, new ExecutionEvent.IterationStarted(id, 1, "task", Instant.now()));
            event(kafka, id, new ExecutionEvent.ExecutionCompleted(id, "answer of " + id, 1, Instant.now()));
        }
        await().atMost(WAIT).untilAsserted(() -> assertThat(status(finished.getLast())).isEqualTo("completed"));
        assertFinishedAnswerable(finished, a);

        // the backlog shrank: agent b (and a) are accepted again
        assertThat(post(b).statusCode()).isEqualTo(200);
        assertThat(post(a).statusCode()).isEqualTo(200);

        // a restarted node answers for them from its archive
        server.close();
        server = null;
        start(kafka);
        assertFinishedAnswerable(finished, a);
        assertThat(status(ofA.getLast())).isEqualTo("pending");
    }

    private void assertFinishedAnswerable(List<String> finished, String agentId) throws Exception {
        for (String id : finished) {
            HttpResponse<String> got = get("/v1/executions/" + id);
            assertThat(got.statusCode()).as(id + ": " + got.body()).isEqualTo(200);
            JsonNode view = Json.tree(got.body());
            assertThat(view.path("status").asText()).isEqualTo("completed");
            assertThat(view.path("final_output").asText()).isEqualTo("answer of " + id);
        }
        JsonNode completed = Json.tree(get("/v1/executions?status=completed&agent_id=" + agentId).body());
        assertThat(completed.size()).isBetween(1, finished.size());
        completed.forEach(v -> assertThat(v.path("status").asText()).isEqualTo("completed"));

        // the oldest is no longer in memory: its stream reads its history back from the topic, then ends
        String oldest = finished.getFirst();
        HttpResponse<String> stream = get("/v1/executions/" + oldest + "/stream");
        assertThat(stream.statusCode()).isEqualTo(200);
        List<String> types = new ArrayList<>();
        long lastId = -1;
        for (String line : stream.body().split("\n")) {
            if (line.startsWith("data: ")) {
                types.add(Json.tree(line.substring(6)).fieldNames().next()); // {"<type>": {...}}
            } else if (line.startsWith("id: ")) {
                lastId = Long.parseLong(line.substring(4).strip());
            }
        }
        assertThat(types).containsExactly("execution_started", "iteration_started", "execution_completed");
        HttpResponse<String> after = send(HttpRequest.newBuilder(uri("/v1/executions/" + oldest + "/stream"))
                .header("Last-Event-ID", Long.toString(lastId)).GET());
        assertThat(after.statusCode()).isEqualTo(204);
    }

    private void event(KafkaSettings kafka, String id, ExecutionEvent e) throws Exception {
        producer.send(new ProducerRecord<>(kafka.topics().executionEvents().name(), id, Json.writeBytes(e)))
                .get(30, TimeUnit.SECONDS);
    }

    private String status(String id) throws Exception {
        return Json.tree(get("/v1/executions/" + id).body()).path("status").asText();
    }

    private String deploy(String name) throws Exception {
        HttpResponse<String> deployed = send(HttpRequest.newBuilder(uri("/v1/agents"))
                .header("Content-Type", "application/yaml")
                .POST(HttpRequest.BodyPublishers.ofString(TestIngress.manifest(name))));
        assertThat(deployed.statusCode()).as(deployed.body()).isEqualTo(201);
        return Json.tree(deployed.body()).path("agent_id").asText();
    }

    private String startExecution(String agentId) throws Exception {
        HttpResponse<String> started = post(agentId);
        assertThat(started.statusCode()).as(started.body()).isEqualTo(200);
        return Json.tree(started.body()).path("execution_id").asText();
    }

    private HttpResponse<String> post(String agentId) throws Exception {
        return send(HttpRequest.newBuilder(uri("/v1/executions")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(Json.write(java.util.Map.of("agent_id", agentId,
                        "input", "x")))));
    }

    private HttpResponse<String> get(String path) throws Exception {
        return send(HttpRequest.newBuilder(uri(path)).GET());
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }

    private HttpResponse<String> send(HttpRequest.Builder builder) throws Exception {
        return http.send(builder.header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
