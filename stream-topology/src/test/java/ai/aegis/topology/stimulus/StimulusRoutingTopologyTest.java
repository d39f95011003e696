package ai.aegis.topology.stimulus;

import ai.aegis.schemas.deadletter.DeadLetter;
import ai.aegis.schemas.json.Json;
import ai.aegis.schemas.stimulus.StimulusKeys;
import ai.aegis.schemas.stimulus.StimulusOutcome;
import ai.aegis.schemas.stimulus.StimulusReply;
import ai.aegis.schemas.stimulus.StimulusRequest;
import ai.aegis.schemas.stimulus.StimulusRoute;
import ai.aegis.schemas.stimulus.StimulusRouter;
import ai.aegis.schemas.stimulus.StimulusStatus;
import ai.aegis.schemas.topic.CloudEventHeaders;
import ai.aegis.schemas.topic.TopicCatalog;
import ai.aegis.schemas.workflow.WorkflowCommand;
import ai.aegis.schemas.workflow.WorkflowRecord;
import ai.aegis.topology.deadletter.StreamsDeadLetters;
import ai.aegis.topology.kafka.KafkaSettings;
import ai.aegis.topology.serde.MalformedRecordException;
import ai.aegis.topology.serde.WireReaders;
import com.fasterxml.jackson.databind.JsonNode;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** Direct routes, refusals, the three global tables and bad records, through the real topology on a test driver. */
class StimulusRoutingTopologyTest {

    private static final Instant T0 = Instant.parse("2026-03-05T14:00:00.123Z");
    private static final Instant ROUTED = Instant.parse("2026-03-05T14:00:05.678Z");
    private static final TopicCatalog TOPICS = new TopicCatalog("rt", 3);
    private static final String SOURCE = "/aegis/stimulus-routing/test";
    private static final String NODE = "node-a";
    private static final WorkflowRecord TRIAGE = new WorkflowRecord("triage", "1.0.0", "triage issues",
            Json.tree("{\"steps\":[]}"), "steps: []", T0.minusSeconds(3600), T0.minusSeconds(3600));

    @TempDir
    Path stateDir;

    private TopologyTestDriver driver;
    private TestInputTopic<String, byte[]> accepted;
    private TestInputTopic<String, byte[]> routes;
    private TestInputTopic<String, byte[]> router;
    private TestInputTopic<String, byte[]> workflows;
    private TestOutputTopic<String, byte[]> commands;
    private TestOutputTopic<String, byte[]> outcomes;
    private TestOutputTopic<String, byte[]> replies;
    private final AtomicInteger runs = new AtomicInteger();
    private final StreamsDeadLetters deadLetters = new StreamsDeadLetters(TOPICS.deadLetters().name(),
            StimulusRoutingTopology.CONSUMER, SOURCE);

    @BeforeEach
    void start() {
        // The Streams configuration every topology here runs with: exactly-once and the dead-letter handlers.
        Properties props = KafkaSettings.of("unused:9092", TOPICS, "test")
                .streams(StimulusRoutingTopology.applicationId(TOPICS), "routing", stateDir, deadLetters);
        driver = new TopologyTestDriver(StimulusRoutingTopology.build(TOPICS, SOURCE,
                Clock.fixed(ROUTED, ZoneOffset.UTC), () -> "run-" + runs.incrementAndGet()), props, T0);
        accepted = input(TOPICS.stimulusAccepted().name());
        routes = input(TOPICS.stimulusRoutes().name());
        router = input(TOPICS.stimulusRouter().name());
        workflows = input(TOPICS.workflows().name());
        commands = output(TOPICS.workflowCommands().name());
        outcomes = output(TOPICS.stimulusOutcomes().name());
        replies = output(TOPICS.stimulusReplies().name());
    }

    @AfterEach
    void stop() {
        driver.close();
    }

    // ---- helpers -----------------------------------------------------------------------------------------------

    private TestInputTopic<String, byte[]> input(String topic) {
        return driver.createInputTopic(topic, new StringSerializer(), new ByteArraySerializer());
    }

    private TestOutputTopic<String, byte[]> output(String topic) {
        return driver.createOutputTopic(topic, new StringDeserializer(), new ByteArrayDeserializer());
    }

    private void setRoute(String source, String workflow) {
        routes.pipeInput(source, Json.writeBytes(new StimulusRoute(source, workflow, T0)), T0);
    }

    private void register(WorkflowRecord workflow) {
        workflows.pipeInput(workflow.name(), Json.writeBytes(workflow), T0);
    }

    private void setRouter() {
        router.pipeInput(StimulusRouter.KEY, Json.writeBytes(new StimulusRouter(UUID.randomUUID().toString(), 0.7,
                30, T0)), T0);
    }

    private static StimulusRequest stimulus(String source, StimulusRequest.ReplyTo replyTo) {
        return new StimulusRequest(UUID.randomUUID().toString(), source, "evt-" + UUID.randomUUID(), "{\"n\":1}",
                StimulusRequest.UTF_8, Map.of("x-github-event", "push"), T0, replyTo);
    }

    /** Sends it as the deduplication stage does: keyed by its record key. */
    private StimulusRequest send(String source) {
        return send(stimulus(source, new StimulusRequest.ReplyTo(NODE, UUID.randomUUID().toString())));
    }

    private StimulusRequest send(StimulusRequest request) {
        accepted.pipeInput(StimulusKeys.recordKey(request), Json.writeBytes(request), T0);
        return request;
    }

    private static void assertHeaders(TestRecord<String, byte[]> r, String ceType) {
        assertThat(CloudEventHeaders.get(r.headers(), CloudEventHeaders.TYPE)).contains(ceType);
        assertThat(CloudEventHeaders.get(r.headers(), CloudEventHeaders.SOURCE)).contains(SOURCE);
        assertThat(CloudEventHeaders.get(r.headers(), CloudEventHeaders.SUBJECT)).contains(r.key());
    }

    private List<WorkflowCommand> allCommands() {
        return commands.readRecordsToList().stream().map(r -> {
            assertHeaders(r, WorkflowCommand.CE_START_REQUESTED);
            WorkflowCommand command = WireReaders.WORKFLOW_COMMAND.read(r.value());
            assertThat(r.key()).isEqualTo(command.workflowExecutionId());
            return command;
        }).toList();
    }

    /** The outcomes since the last call, checked against their key and headers. */
    private List<StimulusOutcome> allOutcomes() {
        return outcomes.readRecordsToList().stream().map(r -> {
            assertHeaders(r, StimulusOutcome.CE_TYPE);
            StimulusOutcome outcome = WireReaders.STIMULUS_OUTCOME.read(r.value());
            assertThat(r.key()).isEqualTo(outcome.dedupKey());
            return outcome;
        }).toList();
    }

    private List<StimulusReply> allReplies() {
        return replies.readRecordsToList().stream().map(r -> {
            assertThat(r.key()).isEqualTo(NODE);
            assertHeaders(r, StimulusReply.CE_TYPE);
            return WireReaders.STIMULUS_REPLY.read(r.value());
        }).toList();
    }

    private void assertRefused(StimulusRequest request, String code) {
        assertThat(commands.isEmpty()).isTrue();
        assertThat(allOutcomes()).containsExactly(new StimulusOutcome(StimulusKeys.recordKey(request),
                request.stimulusId(), StimulusStatus.REFUSED, ROUTED));
        assertThat(allReplies()).singleElement().satisfies(reply -> {
            assertThat(reply.correlationId()).isEqualTo(request.replyTo().correlationId());
            assertThat(reply.stimulusId()).isEqualTo(request.stimulusId());
            assertThat(reply.outcome()).isEqualTo(StimulusStatus.REFUSED);
            assertThat(reply.workflowExecutionId()).isNull();
            assertThat(reply.error().code()).isEqualTo(code);
        });
    }

    private void assertStarted(StimulusRequest request, String run) {
        assertThat(allCommands()).singleElement().satisfies(c -> {
            assertThat(c.workflowExecutionId()).isEqualTo(run);
            assertThat(c.workflow().name()).isEqualTo("triage");
        });
        assertThat(allOutcomes()).containsExactly(new StimulusOutcome(StimulusKeys.recordKey(request),
                request.stimulusId(), StimulusStatus.ACCEPTED, ROUTED));
        assertThat(allReplies()).extracting(StimulusReply::workflowExecutionId).containsExactly(run);
    }

    // ---- tests -------------------------------------------------------------------------------------------------

    @Test
    void theApplicationIdIsThePrefixAndTheConsumer() {
        assertThat(StimulusRoutingTopology.applicationId(TOPICS)).isEqualTo("rt-stimulus-routing");
    }

    @Test
    void aDirectRouteStartsItsWorkflowWithTheStimulusAsInputAndRepliesAcceptedWithTheRunsId() {
        register(TRIAGE);
        setRoute("github", "triage");
        StimulusRequest request = send("github");

        List<TestRecord<String, byte[]>> written = commands.readRecordsToList();
        assertThat(written).singleElement().satisfies(r -> assertHeaders(r, WorkflowCommand.CE_START_REQUESTED));
        WorkflowCommand command = WireReaders.WORKFLOW_COMMAND.read(written.getFirst().value());
        assertThat(written.getFirst().key()).isEqualTo("run-1");
        assertThat(command).isEqualTo(WorkflowCommand.start("run-1", TRIAGE, StimulusRouting.input(request), null,
                ROUTED));
        JsonNode input = Json.tree(command.input());
        assertThat(input.get("stimulus_content").asText()).isEqualTo("{\"n\":1}");
        assertThat(input.get("stimulus_source").asText()).isEqualTo("github");
        assertThat(input.get("stimulus_id").asText()).isEqualTo(request.stimulusId());
        assertThat(input.get("headers").get("x-github-event").asText()).isEqualTo("push");

        String key = StimulusKeys.recordKey(request);
        assertThat(allOutcomes()).containsExactly(new StimulusOutcome(key, request.stimulusId(),
                StimulusStatus.ACCEPTED, ROUTED));
        assertThat(allReplies()).containsExactly(new StimulusReply(request.replyTo().correlationId(),
                request.stimulusId(), StimulusStatus.ACCEPTED, "run-1", null, null, ROUTED));
    }

    @Test
    void aRouteSetLaterIsPickedUp() {
        register(TRIAGE);
        StimulusRequest before = send("github");
        assertRefused(before, StimulusRouting.NO_ROUTER_CONFIGURED);

        setRoute("github", "triage");
        StimulusRequest after = send("github");
        assertStarted(after, "run-1");
    }

    @Test
    void aRouteRemovedByATombstoneNoLongerRoutes() {
        register(TRIAGE);
        setRoute("github", "triage");
        assertStarted(send("github"), "run-1");

        routes.pipeInput("github", (byte[]) null, T0);
        assertRefused(send("github"), StimulusRouting.NO_ROUTER_CONFIGURED);
    }

    @Test
    void aRouteToAWorkflowNotRegisteredOrDeletedSinceIsRefusedAsUnknownWorkflow() {
        setRoute("github", "triage");
        assertRefused(send("github"), StimulusRouting.UNKNOWN_WORKFLOW);

        register(TRIAGE);
        assertStarted(send("github"), "run-1");

        workflows.pipeInput("triage", (byte[]) null, T0);
        StimulusRequest afterDeletion = send("github");
        List<StimulusReply> reply = replies.readRecordsToList().stream()
                .map(r -> Json.read(r.value(), StimulusReply.class)).toList();
        assertThat(reply).singleElement().satisfies(r -> {
            assertThat(r.error().code()).isEqualTo(StimulusRouting.UNKNOWN_WORKFLOW);
            assertThat(r.error().message()).contains("'triage'");
            assertThat(r.stimulusId()).isEqualTo(afterDeletion.stimulusId());
        });
        assertThat(commands.isEmpty()).isTrue();
    }

    @Test
    void noRouteAndNoRouterIsRefusedAsNoRouterConfigured() {
        register(TRIAGE);
        setRoute("gitlab", "triage");
        assertRefused(send("github"), StimulusRouting.NO_ROUTER_CONFIGURED);
    }

    @Test
    void aRouterButNoRouteIsRefusedAsRouterAgentFailedWhileClassificationIsNotThere() {
        setRouter();
        StimulusRequest request = send("github");
        assertThat(replies.readRecordsToList()).singleElement().satisfies(r -> assertThat(
                Json.read(r.value(), StimulusReply.class).error()).isEqualTo(new StimulusReply.ReplyError(
                StimulusRouting.ROUTER_AGENT_FAILED, "classification by a RouterAgent is not available yet; "
                + "set a direct route for source 'github'")));
        assertThat(allOutcomes()).extracting(StimulusOutcome::stimulusId, StimulusOutcome::outcome)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(request.stimulusId(), StimulusStatus.REFUSED));

        router.pipeInput(StimulusRouter.KEY, (byte[]) null, T0); // the router removed
        assertRefused(send("github"), StimulusRouting.NO_ROUTER_CONFIGURED);
    }

    @Test
    void aRequestWithoutReplyToWritesNoReplyButTheCommandAndTheOutcome() {
        register(TRIAGE);
        setRoute("github", "triage");
        StimulusRequest started = send(stimulus("github", null));
        StimulusRequest refused = send(stimulus("gitlab", null));

        assertThat(allCommands()).extracting(WorkflowCommand::workflowExecutionId).containsExactly("run-1");
        assertThat(allOutcomes()).extracting(StimulusOutcome::stimulusId, StimulusOutcome::outcome).containsExactly(
                org.assertj.core.groups.Tuple.tuple(started.stimulusId(), StimulusStatus.ACCEPTED),
                org.assertj.core.groups.Tuple.tuple(refused.stimulusId(), StimulusStatus.REFUSED));
        assertThat(replies.isEmpty()).isTrue();
    }

    @Test
    void aMalformedAcceptedRecordIsDeadLetteredAndTheNextIsProcessed() {
        register(TRIAGE);
        setRoute("github", "triage");
        byte[][] poison = {"null".getBytes(StandardCharsets.UTF_8), null, "{}".getBytes(StandardCharsets.UTF_8),
                {(byte) 0xc3, 0x28, 0x00, (byte) 0xff}, "[1,2,3]".getBytes(StandardCharsets.UTF_8),
                "{\"stimulus_id\":{\"x\":1}}".getBytes(StandardCharsets.UTF_8),
                Json.writeBytes(new StimulusRequest(UUID.randomUUID().toString(), "a b", null, "", "utf-8", Map.of(),
                        T0, null))};
        for (byte[] p : poison) {
            accepted.pipeInput("some-key", p, T0);
        }
        StimulusRequest keyless = stimulus("github", null);
        accepted.pipeInput((String) null, Json.writeBytes(keyless), T0);

        assertThat(deadLetters.written()).isEqualTo(poison.length + 1);
        // the driver keeps the letters written while processing: those of the records the processor refused
        List<DeadLetter> letters = output(TOPICS.deadLetters().name()).readValuesToList().stream()
                .map(v -> Json.read(v, DeadLetter.class)).toList();
        assertThat(letters).hasSize(poison.length).allSatisfy(l -> {
            assertThat(l.sourceTopic()).isEqualTo(TOPICS.stimulusAccepted().name());
            assertThat(l.consumer()).isEqualTo(StimulusRoutingTopology.CONSUMER);
            assertThat(l.errorClass()).isEqualTo(MalformedRecordException.class.getName());
        });
        assertThat(letters.getLast().errorMessage()).contains("invalid source");
        assertThat(commands.isEmpty()).isTrue();
        assertThat(outcomes.isEmpty()).isTrue();
        assertThat(replies.isEmpty()).isTrue();

        assertStarted(send("github"), "run-1");
        assertThat(deadLetters.written()).isEqualTo(poison.length + 1);
    }

    @Test
    void badTableRecordsAreSkippedAndTheGlobalStoresGoOn() {
        byte[][] poison = {"null".getBytes(StandardCharsets.UTF_8), "{}".getBytes(StandardCharsets.UTF_8),
                {(byte) 0xc3, 0x28, 0x00, (byte) 0xff}, "[1,2,3]".getBytes(StandardCharsets.UTF_8)};
        for (byte[] p : poison) {
            routes.pipeInput("github", p, T0);
            router.pipeInput(StimulusRouter.KEY, p, T0);
            workflows.pipeInput("triage", p, T0);
        }
        routes.pipeInput((String) null, Json.writeBytes(new StimulusRoute("github", "triage", T0)), T0); // no key
        setRoute("gitlab", "triage");
        routes.pipeInput("github", Json.writeBytes(new StimulusRoute("gitlab", "triage", T0)), T0); // another key
        router.pipeInput("not-router", Json.writeBytes(new StimulusRouter(UUID.randomUUID().toString(), 0.5, 10, T0)),
                T0);
        router.pipeInput(StimulusRouter.KEY, "{\"agent_id\":\"a\",\"confidence_threshold\":7,\"timeout_seconds\":5,"
                .concat("\"updated_at\":\"2026-03-05T14:00:00Z\"}").getBytes(StandardCharsets.UTF_8), T0);
        assertThat(driver.getKeyValueStore(StimulusRoutingTopology.ROUTES_STORE).get("github")).isNull();
        assertThat(driver.getKeyValueStore(StimulusRoutingTopology.ROUTER_STORE).get(StimulusRouter.KEY)).isNull();
        assertThat(driver.getKeyValueStore(StimulusRoutingTopology.WORKFLOWS_STORE).get("triage")).isNull();
        assertRefused(send("github"), StimulusRouting.NO_ROUTER_CONFIGURED);
        assertRefused(send("gitlab"), StimulusRouting.UNKNOWN_WORKFLOW);

        // the next good records are taken
        register(TRIAGE);
        setRoute("github", "triage");
        assertStarted(send("github"), "run-1");
        // a bad record later leaves the good one in place
        routes.pipeInput("github", "{}".getBytes(StandardCharsets.UTF_8), T0);
        assertStarted(send("github"), "run-2");
        assertThat(deadLetters.written()).isZero();
    }
}
