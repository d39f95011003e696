package ai.aegis.cli;

import ai.aegis.schemas.execution.ExecutionEvent;
import ai.aegis.schemas.json.Json;
import ai.aegis.worker.WorkerService;
import ai.aegis.worker.llm.scripted.ScriptStep;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two workers of one group on the real broker; one dies mid-execution (no goodbye to the group, nothing more
 * written). Every execution must end exactly once, none may be left running.
 */
class WorkerFailoverTest {

    @Test
    void executionsOfAWorkerThatDiesAreRunAgainByTheOtherAndEndExactlyOnce(@TempDir Path dataDir) throws Exception {
        Duration failover = Duration.ofSeconds(6);
        try (TestSystem system = new TestSystem(dataDir, Map.of("work", List.of(
                ScriptStep.toolCall("cmd.run", TestSystem.args("{\"command\":\"sleep 4 && echo worked\"}")),
                ScriptStep.reply("done: {{last_tool_stdout}}"))))) {
            // replace the default worker by two with a short failover timeout
            system.worker.close();
            WorkerService a = system.startWorker(null, failover);
            WorkerService b = system.startWorker(null, failover);
            try {
                String agentId = system.deploy(TestSystem.agent("failover", "work", 1));
                List<String> ids = new ArrayList<>();
                for (int i = 0; i < 6; i++) {
                    ids.add(system.startExecution(agentId, "job " + i));
                }
                await().atMost(Duration.ofSeconds(30)).until(() -> a.activeExecutions() > 0 && b.activeExecutions() > 0);
                a.halt(); // dies mid-execution

                for (String id : ids) {
                    JsonAssert.status(system.awaitEnd(id, Duration.ofSeconds(90)), "completed");
                }
                Map<String, List<String>> terminals = terminalEvents(system, ids);
                assertThat(terminals).hasSize(ids.size());
                terminals.forEach((id, types) -> assertThat(types).as(id).containsExactly("execution_completed"));
            } finally {
                b.close();
            }
        }
    }

    /** Reads the whole events topic: every terminal event per execution. */
    private static Map<String, List<String>> terminalEvents(TestSystem system, List<String> ids) {
        Map<String, List<String>> out = new HashMap<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(system.kafka.consumer(null))) {
            String topic = system.kafka.topics().executionEvents().name();
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    ExecutionEvent e = Json.read(r.value(), ExecutionEvent.class);
                    if (e.terminal() && ids.contains(e.executionId())) {
                        out.computeIfAbsent(e.executionId(), k -> new ArrayList<>()).add(e.type());
                    }
                }
            }
        }
        return out;
    }

    /** Small assertion helper with a readable message. */
    static final class JsonAssert {
        static void status(com.fasterxml.jackson.databind.JsonNode view, String expected) {
            assertThat(view.get("status").asText()).as(view.toString()).isEqualTo(expected);
        }
    }
}
