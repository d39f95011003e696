package ai.aegis.cli;

import ai.aegis.cli.AegisSystem.Service;
import ai.aegis.schemas.execution.ExecutionRequest;
import ai.aegis.schemas.json.Json;
import ai.aegis.topology.kafka.DurablePublisher;
import ai.aegis.worker.llm.scripted.ScriptStep;
import com.fasterxml.jackson.databind.JsonNode;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A sandbox that floods its console, end to end on the real broker, worker and HTTP: the execution completes in a
 * few hundred records, the ingress holds no more of its events than configured, a late subscriber still gets every
 * event in order (those no longer in memory read back from the topic), and another execution runs to its end
 * meanwhile.
 */
class OutputFloodTest {

    /** What the node may hold of all executions' events; far less than one flood's records. */
    private static final long HISTORY_BYTES = 128 * 1024;
    private static final Pattern IN_MEMORY = Pattern.compile("(?m)^aegis_execution_events_in_memory_bytes (\\d+)$");
    private static final Pattern READ_BACK = Pattern.compile("(?m)^aegis_sse_events_read_back_total (\\d+)$");

    @TempDir
    static Path dataDir;
    static TestSystem system;
    static DurablePublisher publisher;

    @BeforeAll
    static void start() throws Exception {
        system = new TestSystem(dataDir, Map.of("quick", List.of(
                ScriptStep.toolCall("cmd.run", TestSystem.args("{\"command\":\"echo quick-$((40+2))\"}")),
                ScriptStep.reply("done: {{last_tool_stdout}}"))), null, EnumSet.of(Service.WORKER, Service.INGRESS),
                Map.of("aegis.ingress.event-history-bytes", Long.toString(HISTORY_BYTES),
                        "aegis.ingress.event-history-bytes-per-execution", Long.toString(HISTORY_BYTES),
                        // one partition: every execution's events share one log and the producer's one queue for it
                        "aegis.kafka.partitions", "1"));
        publisher = new DurablePublisher(system.kafka, "/test");
    }

    @AfterAll
    static void stop() {
        publisher.close();
        system.close();
    }

    @Test
    void fiftyMegabytesOfOutputCompleteInAFewRecordsWithinTheNodesBoundAndALateSubscriberGetsThemAll()
            throws Exception {
        String executionId = containerRun("yes | head -c 50000000");

        JsonNode end = system.awaitEnd(executionId, Duration.ofSeconds(120));
        assertThat(end.path("status").asText()).as(end.toString()).isEqualTo("completed");
        assertThat(inMemoryBytes()).isLessThanOrEqualTo(HISTORY_BYTES);

        List<ConsumerRecord<String, byte[]>> written = eventsOf(executionId);
        // 50 MB of console in records of at most 4 KiB, at most 1 MiB of them: a few hundred records, not 25 million
        assertThat(written).hasSizeBetween(10, 600);

        long readBackBefore = metric(READ_BACK);
        SseClient.Result stream = SseClient.read(system.http, system.base + "/v1/executions/" + executionId
                + "/stream", system.token, null);
        // every event that was written, in order, byte for byte, though the node holds only the last few
        assertThat(stream.frames()).extracting(f -> Long.parseLong(f.id()))
                .containsExactlyElementsOf(written.stream().map(ConsumerRecord::offset).toList());
        for (int i = 0; i < written.size(); i++) {
            assertThat(stream.frames().get(i).data()).isEqualTo(Json.tree(new String(written.get(i).value(), java.nio.charset.StandardCharsets.UTF_8)));
        }
        assertThat(stream.types()).startsWith("execution_started", "iteration_started", "iteration_output")
                .endsWith("iteration_completed", "execution_completed");
        List<JsonNode> output = stream.frames().stream().filter(f -> f.type().equals("iteration_output"))
                .map(SseClient.Frame::body).toList();
        assertThat(output.getFirst().path("truncated").asBoolean()).isFalse();
        assertThat(output.getLast().path("output").asText()).matches("y(\\ny)*");
        // what was dropped is said: the lines written (with their newlines) and the bytes omitted are all 50 MB
        long text = output.stream().mapToLong(o -> o.path("output").asText().length()).sum();
        long omitted = output.stream().mapToLong(o -> o.path("omitted_bytes").asLong(0)).sum();
        assertThat(text).isLessThanOrEqualTo(1 << 20);
        assertThat(text + output.size() + omitted).isEqualTo(50_000_000);
        assertThat(metric(READ_BACK) - readBackBefore).isPositive();

        // a resume after an event long gone from memory starts right after it
        SseClient.Frame early = stream.frames().get(3);
        SseClient.Result resumed = SseClient.read(system.http, system.base + "/v1/executions/" + executionId
                + "/stream", system.token, early.id());
        assertThat(resumed.frames()).isEqualTo(stream.frames().subList(4, stream.frames().size()));
    }

    @Test
    void whileOneExecutionFloodsItsConsoleAnotherRunsToItsEndWithEveryEvent() throws Exception {
        // about a megabyte a second, in 2000 short lines every 10 ms, until cancelled
        String flood = containerRun("while :; do seq 100000 102000; sleep 0.01; done");
        await().atMost(Duration.ofSeconds(60)).until(() -> status(flood).equals("running"));

        String agentId = system.deploy(TestSystem.agent("flood-neighbour", "quick", 1));
        String quick = system.startExecution(agentId, "meanwhile");
        JsonNode quickEnd = system.awaitEnd(quick, Duration.ofSeconds(120));

        assertThat(quickEnd.path("status").asText()).isEqualTo("completed");
        assertThat(quickEnd.path("final_output").asText()).isEqualTo("done: quick-42");
        assertThat(status(flood)).as("the flood still runs").isEqualTo("running");
        SseClient.Result quickStream = SseClient.read(system.http, system.base + "/v1/executions/" + quick
                + "/stream", system.token, null);
        assertThat(quickStream.types()).containsExactly("execution_started", "iteration_started",
                "llm_interaction", "tool_call", "llm_interaction", "iteration_output", "iteration_completed",
                "execution_completed");
        assertThat(inMemoryBytes()).isLessThanOrEqualTo(HISTORY_BYTES);
        // On the one partition, the quick execution's events waited behind at most the flood's few hundred
        // records (its budget, at its rate), not behind one record per line it printed meanwhile.
        List<ConsumerRecord<String, byte[]>> log = system.records(system.kafka.topics().executionEvents().name());
        long quickStarted = log.stream().filter(r -> r.key().equals(quick)).findFirst().orElseThrow().offset();
        long quickEnded = Long.parseLong(quickStream.frames().getLast().id());
        assertThat(log.stream().filter(r -> r.key().equals(flood) && r.offset() > quickStarted
                && r.offset() < quickEnded).count()).as("flood records among the quick execution's").isLessThan(300);

        HttpResponse<String> cancel = system.post("/v1/executions/" + flood + "/cancel", "");
        assertThat(cancel.statusCode()).as(cancel.body()).isIn(200, 202);
        assertThat(system.awaitEnd(flood, Duration.ofSeconds(60)).path("status").asText()).isEqualTo("cancelled");
        SseClient.Result floodStream = SseClient.read(system.http, system.base + "/v1/executions/" + flood
                + "/stream", system.token, null);
        assertThat(floodStream.types()).endsWith("iteration_failed", "execution_cancelled");
        assertThat(floodStream.frames()).extracting(f -> Long.parseLong(f.id())).isSorted().doesNotHaveDuplicates();
    }

    /** Starts a container run of {@code /bin/sh -c script} as the workflow engine would, and returns its id. */
    private static String containerRun(String script) throws Exception {
        String executionId = UUID.randomUUID().toString();
        ExecutionRequest request = ExecutionRequest.forContainerRun(
                        new ExecutionRequest.WorkflowLink(UUID.randomUUID().toString(), 1, "flood"),
                        new ExecutionRequest.ContainerRun("agent-base:local", List.of("/bin/sh", "-c", script),
                                Map.of(), 500, 256L << 20, 300, false))
                .setExecutionId(executionId).setRequestedAt(Json.now()).build();
        publisher.publish(system.kafka.topics().executionRequests().name(), executionId, Json.writeBytes(request),
                ExecutionRequest.CE_TYPE);
        return executionId;
    }

    private static String status(String executionId) throws Exception {
        return Json.tree(system.get("/v1/executions/" + executionId).body()).path("status").asText();
    }

    private static long inMemoryBytes() throws Exception {
        return metric(IN_MEMORY);
    }

    private static long metric(Pattern series) throws Exception {
        Matcher m = series.matcher(system.get("/metrics").body());
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    /** The records of one execution on the events topic, in order. */
    private static List<ConsumerRecord<String, byte[]>> eventsOf(String executionId) {
        return system.records(system.kafka.topics().executionEvents().name()).stream()
                .filter(r -> executionId.equals(r.key())).toList();
    }
}
