package ai.aegis.topology.stimulus;

import ai.aegis.schemas.agent.AgentRecord;
import ai.aegis.schemas.deadletter.DeadLetter;
import ai.aegis.schemas.execution.ExecutionCommand;
import ai.aegis.schemas.execution.ExecutionEvent;
import ai.aegis.schemas.execution.ExecutionRequest;
import ai.aegis.schemas.json.Json;
import ai.aegis.schemas.stimulus.RoutingMode;
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
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
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
    private static final AgentRecord ROUTER_AGENT = new AgentRecord("0f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a", "router",
            "1.0.0", "classifies stimuli", "active", List.of(), Map.of(), T0, T0, Json.tree("{\"spec\":{}}"));
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
    private final SettableClock clock = new SettableClock(ROUTED);
    private TestInputTopic<String, byte[]> agents;
    private TestInputTopic<String, byte[]> events;
    private TestOutputTopic<String, byte[]> executionRequests;
    private TestOutputTopic<String, byte[]> executionCommands;
    private final StreamsDeadLetters deadLetters = new StreamsDeadLetters(TOPICS.deadLetters().name(),
            StimulusRoutingTopology.CONSUMER, SOURCE);

    @BeforeEach
    void start() {
        // The Streams configuration every topology here runs with: exactly-once and the dead-letter handlers.
        Properties props = KafkaSettings.of("unused:9092", TOPICS, "test")
                .streams(StimulusRoutingTopology.applicationId(TOPICS), "routing", stateDir, deadLetters);
        driver = new TopologyTestDriver(StimulusRoutingTopology.build(TOPICS, SOURCE, clock,
                () -> "run-" + runs.incrementAndGet()), props, T0);
        accepted = input(TOPICS.stimulusAccepted().name());
        routes = input(TOPICS.stimulusRoutes().name());
        router = input(TOPICS.stimulusRouter().name());
        workflows = input(TOPICS.workflows().name());
        commands = output(TOPICS.workflowCommands().name());
        outcomes = output(TOPICS.stimulusOutcomes().name());
        replies = output(TOPICS.stimulusReplies().name());
        agents = input(TOPICS.agents().name());
        events = input(TOPICS.executionEvents().name());
        executionRequests = output(TOPICS.executionRequests().name());
        executionCommands = output(TOPICS.executionCommands().name());
    }

    /** The wall clock of the topology: routed_at, the deadlines, and what the punctuation compares them with. */
    private static final class SettableClock extends Clock {
        private volatile Instant now;

        SettableClock(Instant now) {
            this.now = now;
        }

        void advance(Duration by) {
            now = now.plus(by);
        }

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
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
        router.pipeInput(StimulusRouter.KEY, Json.writeBytes(new StimulusRouter(ROUTER_AGENT.id(), 0.7, 30, T0)), T0);
    }

    private void deployRouterAgent() {
        agents.pipeInput(ROUTER_AGENT.id(), Json.writeBytes(ROUTER_AGENT), T0);
    }

    /** An end of the RouterAgent's execution, as a worker writes it (keyed by execution id, with its ce_type). */
    private void end(ExecutionEvent event) {
        events.pipeInput(new TestRecord<>(event.executionId(), Json.writeBytes(event),
                CloudEventHeaders.of(CloudEventHeaders.type("execution", event.type()), "worker", event.executionId(),
                        T0), clock.instant()));
    }

    /** The one execution request written since the last call: the RouterAgent's. */
    private ExecutionRequest routerExecution() {
        List<TestRecord<String, byte[]>> written = executionRequests.readRecordsToList();
        assertThat(written).hasSize(1);
        assertHeaders(written.getFirst(), ExecutionRequest.CE_TYPE);
        ExecutionRequest request = WireReaders.EXECUTION_REQUEST.read(written.getFirst().value());
        assertThat(written.getFirst().key()).isEqualTo(request.executionId());
        return request;
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
        assertThat(allOutcomes()).singleElement().satisfies(o -> {
            assertThat(o.dedupKey()).isEqualTo(StimulusKeys.recordKey(request));
            assertThat(o.stimulusId()).isEqualTo(request.stimulusId());
            assertThat(o.outcome()).isEqualTo(StimulusStatus.REFUSED);
            assertThat(o.routedAt()).isEqualTo(clock.instant());
            assertThat(o.error().code()).isEqualTo(code);
        });
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
        assertThat(allOutcomes()).singleElement().satisfies(o -> {
            assertThat(o.dedupKey()).isEqualTo(StimulusKeys.recordKey(request));
            assertThat(o.stimulusId()).isEqualTo(request.stimulusId());
            assertThat(o.outcome()).isEqualTo(StimulusStatus.ACCEPTED);
            assertThat(o.workflowExecutionId()).isEqualTo(run);
            assertThat(o.workflow()).isEqualTo("triage");
        });
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
                StimulusStatus.ACCEPTED, ROUTED, "github", RoutingMode.DIRECT, "triage", "run-1", null, null, null, null));
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
    void noRouteAndNoRouterIsRefusedAsNoRouterConfiguredAndDeadLetteredWithItsReason() {
        register(TRIAGE);
        setRoute("gitlab", "triage");
        StimulusRequest request = send("github");
        assertRefused(request, StimulusRouting.NO_ROUTER_CONFIGURED);

        List<TestRecord<String, byte[]>> letters = output(TOPICS.deadLetters().name()).readRecordsToList();
        assertThat(letters).singleElement().satisfies(r -> {
            assertThat(r.key()).isEqualTo(StimulusKeys.recordKey(request));
            assertThat(CloudEventHeaders.get(r.headers(), CloudEventHeaders.TYPE)).contains(DeadLetter.CE_TYPE);
            DeadLetter letter = Json.read(r.value(), DeadLetter.class);
            assertThat(letter.consumer()).isEqualTo(StimulusRoutingTopology.CONSUMER);
            assertThat(letter.sourceTopic()).isEqualTo(TOPICS.stimulusAccepted().name());
            assertThat(letter.sourceOffset()).isGreaterThanOrEqualTo(0);
            assertThat(letter.errorClass()).isEqualTo(StimulusRefusedException.class.getName());
            assertThat(letter.errorMessage()).startsWith(StimulusRouting.NO_ROUTER_CONFIGURED + ": ");
            assertThat(Json.read(letter.value(), StimulusRequest.class)).isEqualTo(request);
        });
        // the processing handler counts only what it could not process
        assertThat(deadLetters.written()).isZero();
    }

    @Test
    void aRouterButNoRouteClassifiesTheStimulusByAnExecutionOfTheAgentAndStartsTheWorkflowItChooses() {
        register(TRIAGE);
        deployRouterAgent();
        setRouter();
        StimulusRequest request = send("github");

        // the RouterAgent's execution is requested, nobody is answered yet
        ExecutionRequest execution = routerExecution();
        assertThat(execution.executionId()).isEqualTo("run-1");
        assertThat(execution.agent()).isEqualTo(ROUTER_AGENT);
        assertThat(Json.tree(execution.input()).get("workflows")).isEqualTo(Json.tree("[\"triage\"]"));
        assertThat(outcomes.isEmpty()).isTrue();
        assertThat(replies.isEmpty()).isTrue();
        assertThat(commands.isEmpty()).isTrue();
        KeyValueStore<String, byte[]> pending = driver.getKeyValueStore(StimulusRoutingTopology.PENDING_STORE);
        assertThat(pending.get("run-1")).isNotNull();

        // other executions' events and this one's non-terminal ones change nothing
        end(new ExecutionEvent.ExecutionCompleted("someone-else", "{\"workflow\":\"triage\",\"confidence\":1}", 1,
                T0));
        events.pipeInput("run-1", Json.writeBytes(new ExecutionEvent.ExecutionStarted("run-1", ROUTER_AGENT.id(), T0)));
        assertThat(outcomes.isEmpty()).isTrue();

        clock.advance(Duration.ofSeconds(3));
        end(new ExecutionEvent.ExecutionCompleted("run-1", "```json\n{\"workflow\":\"triage\",\"confidence\":0.82}"
                + "\n```", 1, T0));
        assertThat(allCommands()).singleElement().satisfies(c -> {
            assertThat(c.workflowExecutionId()).isEqualTo("run-2");
            assertThat(c.workflow()).isEqualTo(TRIAGE);
            assertThat(c.input()).isEqualTo(StimulusRouting.input(request));
        });
        String key = StimulusKeys.recordKey(request);
        assertThat(allOutcomes()).containsExactly(new StimulusOutcome(key, request.stimulusId(),
                StimulusStatus.ACCEPTED, clock.instant(), "github", RoutingMode.CLASSIFIED, "triage", "run-2", 0.82,
                "run-1", null, null));
        assertThat(allReplies()).containsExactly(new StimulusReply(request.replyTo().correlationId(),
                request.stimulusId(), StimulusStatus.ACCEPTED, "run-2", null, null, clock.instant()));
        assertThat(pending.get("run-1")).isNull();

        // a second end of the same execution (another attempt's) starts nothing more, nor does the deadline
        end(new ExecutionEvent.ExecutionCompleted("run-1", "{\"workflow\":\"triage\",\"confidence\":1}", 1, T0));
        clock.advance(Duration.ofSeconds(60));
        driver.advanceWallClockTime(Duration.ofSeconds(60));
        assertThat(commands.isEmpty()).isTrue();
        assertThat(outcomes.isEmpty()).isTrue();
        assertThat(executionCommands.isEmpty()).isTrue();
    }

    @Test
    void aClassificationBelowTheThresholdOrUnreadableOrFailedIsRefusedWithItsCode() {
        register(TRIAGE);
        deployRouterAgent();
        setRouter();
        Map<ExecutionEvent, String> ends = new java.util.LinkedHashMap<>();
        ends.put(new ExecutionEvent.ExecutionCompleted("run-1", "{\"workflow\":\"triage\",\"confidence\":0.4}", 1,
                T0), StimulusRouting.CLASSIFICATION_FAILED);
        ends.put(new ExecutionEvent.ExecutionCompleted("run-2", "triage, I think", 1, T0),
                StimulusRouting.CLASSIFICATION_PARSE_ERROR);
        ends.put(new ExecutionEvent.ExecutionCompleted("run-3", "{\"workflow\":\"refunds\",\"confidence\":0.9}", 1,
                T0), StimulusRouting.UNKNOWN_WORKFLOW);
        ends.put(new ExecutionEvent.ExecutionFailed("run-4", "the model said no", 1, T0),
                StimulusRouting.ROUTER_AGENT_FAILED);
        ends.forEach((end, code) -> {
            StimulusRequest request = send("github");
            assertThat(routerExecution().executionId()).isEqualTo(end.executionId());
            end(end);
            assertRefused(request, code);
        });
        assertThat(executionCommands.isEmpty()).isTrue();
    }

    @Test
    void aClassificationPastItsDeadlineIsRefusedAndItsExecutionCancelledAndALateAnswerStartsNothing() {
        register(TRIAGE);
        deployRouterAgent();
        setRouter();
        StimulusRequest request = send("github");
        assertThat(routerExecution().executionId()).isEqualTo("run-1");

        clock.advance(Duration.ofSeconds(29));
        driver.advanceWallClockTime(Duration.ofSeconds(29));
        assertThat(outcomes.isEmpty()).isTrue();

        clock.advance(Duration.ofSeconds(2));
        driver.advanceWallClockTime(Duration.ofSeconds(2));
        List<TestRecord<String, byte[]>> cancels = executionCommands.readRecordsToList();
        assertThat(cancels).singleElement().satisfies(r -> {
            assertThat(r.key()).isEqualTo("run-1");
            assertHeaders(r, ExecutionCommand.CE_CANCEL_REQUESTED);
            ExecutionCommand command = WireReaders.EXECUTION_COMMAND.read(r.value());
            assertThat(command.command()).isEqualTo(ExecutionCommand.CANCEL);
            assertThat(command.executionId()).isEqualTo("run-1");
        });
        assertRefused(request, StimulusRouting.ROUTER_AGENT_FAILED);

        end(new ExecutionEvent.ExecutionCompleted("run-1", "{\"workflow\":\"triage\",\"confidence\":1}", 1, T0));
        assertThat(commands.isEmpty()).isTrue();
        assertThat(outcomes.isEmpty()).isTrue();
    }

    @Test
    void aRouterWhoseAgentIsNotDeployedIsRefusedAtOnceAndARemovedRouterIsNoRouter() {
        setRouter();
        StimulusRequest request = send("github");
        assertThat(executionRequests.isEmpty()).isTrue();
        assertRefused(request, StimulusRouting.ROUTER_AGENT_FAILED);

        router.pipeInput(StimulusRouter.KEY, (byte[]) null, T0); // the router removed
        assertRefused(send("github"), StimulusRouting.NO_ROUTER_CONFIGURED);
    }

    @Test
    void aMalformedClassificationOrAWaitedForEventThatCannotBeReadIsDeadLetteredAndTheDeadlineStillEndsIt() {
        register(TRIAGE);
        deployRouterAgent();
        setRouter();
        TestInputTopic<String, byte[]> classifications = input(TOPICS.stimulusClassifications().name());
        classifications.pipeInput("x", "{}".getBytes(StandardCharsets.UTF_8), T0);
        classifications.pipeInput("x", "null".getBytes(StandardCharsets.UTF_8), T0);
        StimulusRequest request = send("github");
        assertThat(routerExecution().executionId()).isEqualTo("run-1");
        // a classification under another execution's key
        classifications.pipeInput("other", driver.getKeyValueStore(StimulusRoutingTopology.PENDING_STORE)
                .get("run-1") instanceof byte[] b ? b : null, T0);
        events.pipeInput(new TestRecord<>("run-1", "{not json".getBytes(StandardCharsets.UTF_8),
                CloudEventHeaders.of(CloudEventHeaders.type("execution", "execution_completed"), "worker", "run-1", T0),
                clock.instant()));
        assertThat(deadLetters.written()).isEqualTo(4);
        assertThat(outcomes.isEmpty()).isTrue();

        clock.advance(Duration.ofSeconds(31));
        driver.advanceWallClockTime(Duration.ofSeconds(31));
        assertRefused(request, StimulusRouting.ROUTER_AGENT_FAILED);
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
