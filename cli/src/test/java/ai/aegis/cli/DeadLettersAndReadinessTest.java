package ai.aegis.cli;

import ai.aegis.schemas.deadletter.DeadLetter;
import ai.aegis.schemas.json.Json;
import ai.aegis.testing.TopicRecords;
import ai.aegis.worker.llm.scripted.ScriptStep;
import com.fasterxml.jackson.databind.JsonNode;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The whole system as {@code aegis up} composes it: readiness names every component of the process without a token,
 * and poison on the topics the worker's tails read (the commands, the agents) is dead-lettered with its source while
 * the worker goes on: a cancel written after the poison, on the same partition, still cancels.
 */
class DeadLettersAndReadinessTest {

    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    static Path dataDir;
    static TestSystem system;

    @BeforeAll
    static void start() throws Exception {
        system = new TestSystem(dataDir, Map.of("slow", List.of(
                ScriptStep.toolCall("cmd.run", TestSystem.args("{\"command\":\"sleep 30\",\"timeout_secs\":120}")),
                ScriptStep.reply("woke up"))), null, true);
    }

    @AfterAll
    static void stop() {
        system.close();
    }

    private static HttpResponse<String> withoutToken(String path) throws Exception {
        return system.http.send(HttpRequest.newBuilder(URI.create(system.base + path)).GET()
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void readinessNamesEveryComponentOfTheProcessWithItsStateWithoutAToken() throws Exception {
        await().atMost(WAIT).untilAsserted(() -> {
            HttpResponse<String> ready = withoutToken("/health/ready");
            assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
            JsonNode body = Json.tree(ready.body());
            assertThat(body.path("status").asText()).isEqualTo("ready");
            JsonNode components = body.path("components");
            assertThat(components.properties()).extracting(Map.Entry::getKey).containsExactly("kafka",
                    "tail.ingress", "tail.dead-letters", "tail.stimuli", "tail.stimulus-replies", "worker",
                    "tail.worker-agents", "tail.worker-commands", "tail.worker-smcp-sessions", "workflow_engine",
                    "stimulus_service", "approval_service", "tail.approvals-view", "tail.approval-replies");
            components.properties().forEach(c ->
                    assertThat(c.getValue().path("state").asText()).as(c.getKey()).isEqualTo("up"));
            assertThat(components.path("tail.worker-commands").path("lag").asLong()).isZero();
            assertThat(components.path("workflow_engine").path("streams").asText()).isEqualTo("running");
        });
        assertThat(system.worker.healthy()).isTrue();
        assertThat(withoutToken("/health").statusCode()).isEqualTo(200);
        assertThat(withoutToken("/metrics").statusCode()).isEqualTo(401);
        assertThat(withoutToken("/v1/dead-letters").statusCode()).isEqualTo(401);
    }

    @Test
    void poisonOnTheWorkersTopicsIsDeadLetteredAndACancelBehindItStillCancels() throws Exception {
        String agentId = system.deploy(TestSystem.agent("poisoned", "slow", 1));
        String executionId = system.startExecution(agentId, "x");
        await().atMost(WAIT).until(() -> Json.tree(system.get("/v1/executions/" + executionId).body())
                .path("iterations").size() == 1);

        String commands = system.kafka.topics().executionCommands().name();
        String agents = system.kafka.topics().agents().name();
        String sessions = system.kafka.topics().smcpSessions().name();
        byte[][] commandPoison = {"{}".getBytes(StandardCharsets.UTF_8), {(byte) 0xff, 0x01}, null,
                "null".getBytes(StandardCharsets.UTF_8), "{\"command\":{\"x\":1}}".getBytes(StandardCharsets.UTF_8),
                ("{\"command\":\"pause\",\"execution_id\":\"" + executionId + "\"}").getBytes(StandardCharsets.UTF_8)};
        byte[][] agentPoison = {"{}".getBytes(StandardCharsets.UTF_8), {(byte) 0xff, 0x01},
                "null".getBytes(StandardCharsets.UTF_8), "[\"agent\"]".getBytes(StandardCharsets.UTF_8)};
        // a session without its key, a key record that is no JWK, a key whose kid is not its thumbprint, not JSON
        String[][] sessionPoison = {{"1b7c0b52-5f0c-4a8e-9d3e-0f6d1c2b3a41", "{\"session_id\":\"1b7c0b52-5f0c-4a8e-9d3e-"
                + "0f6d1c2b3a41\",\"status\":\"active\"}"}, {"jwk:abc", "{\"key_id\":\"abc\",\"jwk\":{\"kty\":\"oct\"},"
                + "\"published_at\":\"2026-12-01T00:00:00Z\"}"}, {"jwk:forged", "{\"key_id\":\"forged\",\"jwk\":{\"kty\":"
                + "\"RSA\",\"kid\":\"forged\",\"n\":\"sXch\",\"e\":\"AQAB\"},\"published_at\":\"2026-12-01T00:00:00Z\"}"},
                {"x", "not json"}};
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(system.kafka.producer())) {
            for (byte[] p : commandPoison) {
                producer.send(new ProducerRecord<>(commands, executionId, p)).get(30, TimeUnit.SECONDS);
            }
            for (byte[] p : agentPoison) {
                producer.send(new ProducerRecord<>(agents, "not-an-agent", p)).get(30, TimeUnit.SECONDS);
            }
            for (String[] p : sessionPoison) {
                producer.send(new ProducerRecord<>(sessions, p[0], p[1].getBytes(StandardCharsets.UTF_8)))
                        .get(30, TimeUnit.SECONDS);
            }
        }

        // The cancel goes to the same partition as the poison (same key), behind it.
        HttpResponse<String> cancel = system.post("/v1/executions/" + executionId + "/cancel", "");
        assertThat(cancel.statusCode()).as(cancel.body()).isEqualTo(200);
        assertThat(Json.tree(cancel.body()).get("status").asText()).isEqualTo("cancelled");

        // the worker's and the ingress's agents tails, the worker's sessions tail
        int expected = commandPoison.length + 2 * agentPoison.length + sessionPoison.length;
        List<ConsumerRecord<String, byte[]>> dead = TopicRecords.await(system.kafka.bootstrapServers(),
                system.kafka.topics().deadLetters().name(), r -> r.size() >= expected, WAIT);
        Map<String, Integer> byConsumer = new TreeMap<>();
        for (ConsumerRecord<String, byte[]> r : dead) {
            DeadLetter letter = Json.read(r.value(), DeadLetter.class);
            assertThat(letter.sourceTopic()).isEqualTo(switch (letter.consumer()) {
                case "worker-commands-tail" -> commands;
                case "worker-smcp-sessions-tail" -> sessions;
                default -> agents;
            });
            byConsumer.merge(letter.consumer(), 1, Integer::sum);
        }
        assertThat(byConsumer).containsExactlyInAnyOrderEntriesOf(Map.of("worker-commands-tail",
                commandPoison.length, "worker-agents-tail", agentPoison.length, "ingress-tail", agentPoison.length,
                "worker-smcp-sessions-tail", sessionPoison.length));
        assertThat(system.worker.deadLetters()).containsEntry("worker-commands-tail", (long) commandPoison.length)
                .containsEntry("worker-agents-tail", (long) agentPoison.length);

        await().atMost(WAIT).untilAsserted(() ->
                assertThat(Json.tree(system.get("/v1/dead-letters").body())).hasSize(expected));
        String metrics = system.get("/metrics").body();
        assertThat(metrics).contains("aegis_dead_letters_total{consumer=\"worker-commands-tail\"} "
                + commandPoison.length).contains("aegis_dead_letters_total{consumer=\"worker-agents-tail\"} "
                + agentPoison.length).contains("aegis_dead_letters_total{consumer=\"workflow-engine\"} 0");
        // the agents view still finds agents by name
        assertThat(system.get("/v1/agents/lookup/poisoned").statusCode()).isEqualTo(200);
        assertThat(system.worker.healthy()).isTrue();
    }
}
