package ai.aegis.ingress;

import ai.aegis.schemas.deadletter.DeadLetter;
import ai.aegis.schemas.execution.ExecutionEvent;
import ai.aegis.schemas.json.Json;
import ai.aegis.schemas.topic.CloudEventHeaders;
import ai.aegis.schemas.topic.TopicCatalog;
import ai.aegis.testing.SharedTestBroker;
import ai.aegis.testing.TopicRecords;
import ai.aegis.topology.kafka.KafkaSettings;
import ai.aegis.topology.serde.MalformedRecordException;
import com.fasterxml.jackson.databind.JsonNode;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Poison on every topic the ingress's views fold, through the real broker and real HTTP: each record is dead-lettered
 * by the node's tail with its source, the views go on (a record after the poison on the same partition is applied),
 * {@code GET /v1/dead-letters} lists them newest first, {@code /metrics} counts them, and readiness stays green.
 * Before, {@code {}} on the agents topic broke every lookup by name, and JSON {@code null} or random bytes were only
 * logged.
 */
class IngressDeadLettersTest {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final byte[] EMPTY_OBJECT = "{}".getBytes(StandardCharsets.UTF_8);
    private static final byte[] NOT_JSON = {(byte) 0xff, (byte) 0xfe, 0x00, 0x7b};
    private static final byte[] JSON_NULL = "null".getBytes(StandardCharsets.UTF_8);
    private static final byte[] WRONG_SHAPE = "{\"id\":[1,2],\"name\":{\"a\":true}}".getBytes(StandardCharsets.UTF_8);

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

    private KafkaSettings start(IngressConfig.Builder config) throws Exception {
        KafkaSettings kafka = KafkaSettings.of(SharedTestBroker.get().bootstrapServers(),
                new TopicCatalog("dl" + UUID.randomUUID().toString().replace("-", ""), 2), "dead-letter-test");
        server = IngressServer.start(config.dataDir(dataDir).port(0).build(), kafka);
        token = Files.readString(server.tokenFile()).strip();
        producer = new KafkaProducer<>(kafka.producer());
        return kafka;
    }

    private void write(String topic, String key, byte[] value) throws Exception {
        producer.send(new ProducerRecord<>(topic, key, value)).get(30, TimeUnit.SECONDS);
    }

    @Test
    void poisonOnEveryViewTopicIsDeadLetteredListedCountedAndTheViewsGoOn() throws Exception {
        KafkaSettings kafka = start(IngressConfig.builder());
        TopicCatalog topics = kafka.topics();
        String execution = UUID.randomUUID().toString();
        String run = UUID.randomUUID().toString();
        // Tombstones delete on the two compacted registries; on the four other topics they are poison too.
        Map<String, List<byte[]>> poison = new TreeMap<>();
        List<byte[]> always = List.of(EMPTY_OBJECT, NOT_JSON, JSON_NULL, WRONG_SHAPE);
        List<byte[]> withTombstone = new ArrayList<>(always);
        withTombstone.add(null);
        poison.put(topics.agents().name(), always);
        poison.put(topics.workflows().name(), always);
        poison.put(topics.executionRequests().name(), withTombstone);
        poison.put(topics.executionEvents().name(), withTombstone);
        poison.put(topics.workflowCommands().name(), withTombstone);
        poison.put(topics.workflowEvents().name(), withTombstone);
        for (Map.Entry<String, List<byte[]>> e : poison.entrySet()) {
            String key = e.getKey().contains("workflow") && !e.getKey().equals(topics.workflows().name()) ? run
                    : execution;
            for (byte[] value : e.getValue()) {
                write(e.getKey(), key, value);
            }
        }
        int expected = poison.values().stream().mapToInt(List::size).sum();

        // After the poison, on the same partitions: an agent (the registry has one partition) and an event of the
        // execution whose key the poison had.
        HttpResponse<String> deployed = send(post("/v1/agents", "application/yaml", MANIFEST));
        assertThat(deployed.statusCode()).as(deployed.body()).isEqualTo(201);
        String agentId = Json.tree(deployed.body()).path("agent_id").asText();
        assertThat(send(get("/v1/agents/lookup/poison-agent")).statusCode()).isEqualTo(200);
        write(topics.executionRequests().name(), execution, ("{\"execution_id\":\"" + execution + "\",\"agent_id\":\""
                + agentId + "\",\"input\":\"x\",\"requested_at\":\"" + Instant.now() + "\"}")
                .getBytes(StandardCharsets.UTF_8));
        write(topics.executionEvents().name(), execution, Json.writeBytes(
                new ExecutionEvent.ExecutionStarted(execution, agentId, Instant.now())));
        await().atMost(WAIT).untilAsserted(() -> {
            HttpResponse<String> got = send(get("/v1/executions/" + execution));
            assertThat(got.statusCode()).as(got.body()).isEqualTo(200);
            assertThat(Json.tree(got.body()).path("status").asText()).isEqualTo("running");
        });

        List<ConsumerRecord<String, byte[]>> dead = TopicRecords.await(kafka.bootstrapServers(),
                topics.deadLetters().name(), r -> r.size() >= expected, WAIT);
        assertThat(dead).hasSize(expected);
        Map<String, Integer> bySource = new TreeMap<>();
        for (ConsumerRecord<String, byte[]> r : dead) {
            DeadLetter letter = Json.read(r.value(), DeadLetter.class);
            assertThat(letter.consumer()).isEqualTo("ingress-tail");
            assertThat(letter.errorClass()).isEqualTo(MalformedRecordException.class.getName());
            assertThat(CloudEventHeaders.get(r.headers(), DeadLetter.SOURCE_TOPIC)).contains(letter.sourceTopic());
            assertThat(CloudEventHeaders.get(r.headers(), DeadLetter.SOURCE_PARTITION))
                    .contains(Integer.toString(letter.sourcePartition()));
            assertThat(CloudEventHeaders.get(r.headers(), DeadLetter.SOURCE_OFFSET))
                    .contains(Long.toString(letter.sourceOffset()));
            assertThat(CloudEventHeaders.get(r.headers(), DeadLetter.CONSUMER)).contains("ingress-tail");
            bySource.merge(letter.sourceTopic(), 1, Integer::sum);
        }
        poison.forEach((topic, values) -> assertThat(bySource).containsEntry(topic, values.size()));

        // The node's bounded view of them: newest first, ?limit=, behind the token.
        await().atMost(WAIT).untilAsserted(() -> {
            JsonNode all = Json.tree(send(get("/v1/dead-letters?limit=1000")).body());
            assertThat(all).hasSize(expected);
        });
        JsonNode all = Json.tree(send(get("/v1/dead-letters?limit=1000")).body());
        List<Instant> times = new ArrayList<>();
        all.forEach(l -> times.add(Instant.parse(l.path("failed_at").asText())));
        assertThat(times).isSortedAccordingTo(java.util.Comparator.reverseOrder());
        JsonNode three = Json.tree(send(get("/v1/dead-letters?limit=3")).body());
        assertThat(three).hasSize(3);
        assertThat(three.get(0)).isEqualTo(all.get(0));
        assertThat(three.get(0).path("consumer").asText()).isEqualTo("ingress-tail");
        assertThat(send(get("/v1/dead-letters?limit=0")).statusCode()).isEqualTo(400);
        assertThat(send(get("/v1/dead-letters")).statusCode()).isEqualTo(200);

        String metrics = send(get("/metrics")).body();
        assertThat(metrics).contains("# TYPE aegis_dead_letters_total counter")
                .contains("aegis_dead_letters_total{consumer=\"ingress-tail\"} " + expected)
                .contains("aegis_component_up{component=\"tail.ingress\"} 1")
                .containsPattern("aegis_tail_lag\\{tail=\"ingress\"} \\d+");
        await().atMost(WAIT).until(() -> http.send(HttpRequest.newBuilder(uri("/health/ready")).GET().build(),
                HttpResponse.BodyHandlers.ofString()).statusCode() == 200);
    }

    @Test
    void aManagementPortServesMetricsAndProbesWithoutATokenAndThePublicPortNoMetrics() throws Exception {
        start(IngressConfig.builder().managementPort(0));
        int management = server.managementPort().orElseThrow();

        HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + management + "/metrics")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.body()).contains("# TYPE aegis_dead_letters_total counter");
        await().atMost(WAIT).untilAsserted(() -> {
            HttpResponse<String> ready = http.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + management + "/health/ready")).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
        });
        assertThat(send(get("/metrics")).statusCode()).isEqualTo(404);
        // the rest of the API stays on the public port only
        assertThat(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + management + "/v1/agents"))
                .GET().build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(404);
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }

    private HttpRequest.Builder get(String path) {
        return HttpRequest.newBuilder(uri(path)).GET();
    }

    private HttpRequest.Builder post(String path, String type, String body) {
        return HttpRequest.newBuilder(uri(path)).header("Content-Type", type)
                .POST(HttpRequest.BodyPublishers.ofString(body));
    }

    private HttpResponse<String> send(HttpRequest.Builder builder) throws Exception {
        return http.send(builder.header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static final String MANIFEST = """
            apiVersion: 100monkeys.ai/v1
            kind: Agent
            metadata:
              name: poison-agent
              version: "1.0.0"
            spec:
              runtime:
                language: python
                version: "3.11"
            """;
}
