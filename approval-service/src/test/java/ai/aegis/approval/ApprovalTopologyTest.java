package ai.aegis.approval;

import ai.aegis.schemas.approval.ApprovalCommand;
import ai.aegis.schemas.approval.ApprovalDecision;
import ai.aegis.schemas.approval.ApprovalReply;
import ai.aegis.schemas.approval.ApprovalRequest;
import ai.aegis.schemas.approval.ApprovalStatus;
import ai.aegis.schemas.json.Json;
import ai.aegis.schemas.topic.CloudEventHeaders;
import ai.aegis.schemas.topic.TopicCatalog;
import ai.aegis.topology.deadletter.StreamsDeadLetters;
import ai.aegis.topology.kafka.KafkaSettings;
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
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** The owner's decisions, refusals, timeouts and purges, through the real topology on a test driver. */
class ApprovalTopologyTest {

    private static final Instant START = Instant.parse("2026-11-28T10:00:00Z");
    private static final TopicCatalog TOPICS = new TopicCatalog("t", 3);
    private static final String NODE = "node-a";
    private static final Duration RETENTION = Duration.ofHours(24);

    @TempDir
    Path stateDir;

    private TopologyTestDriver driver;
    private TestInputTopic<String, byte[]> requests;
    private TestInputTopic<String, byte[]> commands;
    private TestOutputTopic<String, byte[]> decisions;
    private TestOutputTopic<String, byte[]> replies;
    private final StreamsDeadLetters deadLetters = new StreamsDeadLetters(TOPICS.deadLetters().name(),
            ApprovalService.CONSUMER, "/aegis/approval-service/test");

    @BeforeEach
    void start() {
        // The service's own Streams configuration: exactly-once and the dead-letter handlers.
        Properties props = ApprovalService.streamsProperties("approval-topology-test",
                KafkaSettings.of("unused:9092", TOPICS, "test"), "test", stateDir, deadLetters);
        driver = new TopologyTestDriver(ApprovalTopology.build(TOPICS, "/aegis/approval-service/test",
                Duration.ofSeconds(1), RETENTION), props, START);
        requests = driver.createInputTopic(TOPICS.approvalRequests().name(), new StringSerializer(),
                new ByteArraySerializer());
        commands = driver.createInputTopic(TOPICS.approvalCommands().name(), new StringSerializer(),
                new ByteArraySerializer());
        decisions = driver.createOutputTopic(TOPICS.approvalDecisions().name(), new StringDeserializer(),
                new ByteArrayDeserializer());
        replies = driver.createOutputTopic(TOPICS.approvalReplies().name(), new StringDeserializer(),
                new ByteArrayDeserializer());
    }

    @AfterEach
    void stop() {
        driver.close();
    }

    private String request(long timeoutSeconds, String defaultResponse) {
        String id = UUID.randomUUID().toString();
        requests.pipeInput(id, Json.writeBytes(new ApprovalRequest(id, "wf-1", "Review", null, "Approve?", START,
                timeoutSeconds, defaultResponse)));
        return id;
    }

    private String command(String id, String decision, String feedback, String reason, String by) {
        String commandId = UUID.randomUUID().toString();
        commands.pipeInput(id, Json.writeBytes(new ApprovalCommand(commandId, id, decision, feedback, reason, by,
                NODE, START)));
        return commandId;
    }

    private ApprovalReply reply() {
        TestRecord<String, byte[]> r = replies.readRecord();
        assertThat(r.key()).isEqualTo(NODE);
        assertThat(CloudEventHeaders.get(r.headers(), CloudEventHeaders.TYPE)).contains(ApprovalReply.CE_TYPE);
        return Json.read(r.value(), ApprovalReply.class);
    }

    private List<ApprovalDecision> allDecisions() {
        return decisions.readRecordsToList().stream().map(r -> {
            assertThat(CloudEventHeaders.get(r.headers(), CloudEventHeaders.TYPE))
                    .contains(ApprovalDecision.CE_TYPE);
            assertThat(CloudEventHeaders.get(r.headers(), CloudEventHeaders.SUBJECT)).contains(r.key());
            ApprovalDecision d = Json.read(r.value(), ApprovalDecision.class);
            assertThat(d.approvalId()).isEqualTo(r.key());
            return d;
        }).toList();
    }

    private ApprovalStatus status(String id) {
        KeyValueStore<String, byte[]> store = driver.getKeyValueStore(ApprovalTopology.STORE);
        byte[] bytes = store.get(id);
        return bytes == null ? null : Json.read(bytes, ApprovalMachine.Entry.class).status();
    }

    /**
     * JSON {@code null} on a request made the owner's task retry that record forever (the machine threw on it); a
     * tombstone, bytes that are not JSON, {@code {}}, JSON of another shape and a missing key are just as foreign.
     * Each is refused by the sources and handed to the dead-letter handler, and the partition moves on: the next
     * request and command on the same key are decided as usual. (What reaches the dead-letter topic, with its headers,
     * is checked on the real broker in {@code ApprovalServiceTest}: this driver drops records sent outside
     * processing.)
     */
    @Test
    void poisonOnEitherTopicIsDeadLetteredAndTheNextRecordIsApplied() {
        String id = UUID.randomUUID().toString();
        byte[][] poison = {"null".getBytes(StandardCharsets.UTF_8), null, "{}".getBytes(StandardCharsets.UTF_8),
                {(byte) 0xc3, 0x28, 0x00, (byte) 0xff}, "[1,2,3]".getBytes(StandardCharsets.UTF_8),
                "{\"prompt\":42,\"id\":{\"x\":1}}".getBytes(StandardCharsets.UTF_8)};
        for (byte[] p : poison) {
            requests.pipeInput(id, p);
            commands.pipeInput(id, p);
        }
        requests.pipeInput((String) null, Json.writeBytes(new ApprovalRequest(id, "wf-1", "Review", null, "?",
                START, 60, null)));
        assertThat(deadLetters.written()).isEqualTo(2 * poison.length + 1);
        assertThat(status(id)).isNull();
        assertThat(replies.isEmpty()).isTrue();

        requests.pipeInput(id, Json.writeBytes(new ApprovalRequest(id, "wf-1", "Review", null, "Approve?", START,
                3600, null)));
        assertThat(status(id)).isEqualTo(ApprovalStatus.PENDING);
        String commandId = command(id, ApprovalCommand.APPROVE, null, null, "bob");
        assertThat(reply().commandId()).isEqualTo(commandId);
        assertThat(status(id)).isEqualTo(ApprovalStatus.APPROVED);
    }

    @Test
    void approveDecidesAPendingRequestAndRepliesToTheCaller() {
        String id = request(3600, null);
        assertThat(status(id)).isEqualTo(ApprovalStatus.PENDING);

        String commandId = command(id, ApprovalCommand.APPROVE, "Looks good", null, "alice@example.com");

        ApprovalReply reply = reply();
        assertThat(reply.commandId()).isEqualTo(commandId);
        assertThat(reply.approvalId()).isEqualTo(id);
        assertThat(reply.accepted()).isTrue();
        assertThat(reply.status().wireName()).isEqualTo("approved");
        assertThat(reply.error()).isNull();
        assertThat(allDecisions()).singleElement().satisfies(d -> {
            assertThat(d.outcome()).isEqualTo(ApprovalStatus.APPROVED);
            assertThat(d.response()).isEqualTo("approved");
            assertThat(d.feedback()).isEqualTo("Looks good");
            assertThat(d.reason()).isNull();
            assertThat(d.decidedBy()).isEqualTo("alice@example.com");
            assertThat(d.workflowExecutionId()).isEqualTo("wf-1");
            assertThat(d.stateName()).isEqualTo("Review");
            assertThat(d.decidedAt()).isEqualTo(START);
        });
        assertThat(status(id)).isEqualTo(ApprovalStatus.APPROVED);
    }

    @Test
    void rejectCarriesTheReason() {
        String id = request(3600, null);

        command(id, ApprovalCommand.REJECT, null, "Needs more citations.", "bob");

        ApprovalReply reply = reply();
        assertThat(reply.accepted()).isTrue();
        assertThat(reply.status().wireName()).isEqualTo("rejected");
        assertThat(allDecisions()).singleElement().satisfies(d -> {
            assertThat(d.outcome()).isEqualTo(ApprovalStatus.REJECTED);
            assertThat(d.response()).isEqualTo("rejected");
            assertThat(d.reason()).isEqualTo("Needs more citations.");
            assertThat(d.decidedBy()).isEqualTo("bob");
        });
        assertThat(status(id)).isEqualTo(ApprovalStatus.REJECTED);
    }

    @Test
    void aSecondDecisionIsRefusedAndChangesNothing() {
        String id = request(3600, null);
        command(id, ApprovalCommand.APPROVE, null, null, null);
        assertThat(reply().accepted()).isTrue();

        command(id, ApprovalCommand.APPROVE, null, null, null);

        ApprovalReply second = reply();
        assertThat(second.accepted()).isFalse();
        assertThat(second.error()).isEqualTo(ApprovalReply.NOT_FOUND_OR_COMPLETED);
        assertThat(allDecisions()).hasSize(1);
        assertThat(status(id)).isEqualTo(ApprovalStatus.APPROVED);
    }

    @Test
    void anUnknownIdIsRefused() {
        command(UUID.randomUUID().toString(), ApprovalCommand.APPROVE, null, null, null);

        ApprovalReply reply = reply();
        assertThat(reply.accepted()).isFalse();
        assertThat(reply.error()).isEqualTo(ApprovalReply.NOT_FOUND_OR_COMPLETED);
        assertThat(decisions.isEmpty()).isTrue();
    }

    @Test
    void aRejectWithoutReasonIsRefusedAndTheRequestStaysPending() {
        String id = request(3600, null);

        command(id, ApprovalCommand.REJECT, null, "  ", null);

        ApprovalReply reply = reply();
        assertThat(reply.accepted()).isFalse();
        assertThat(reply.error()).isEqualTo("Missing required field 'reason'");
        assertThat(decisions.isEmpty()).isTrue();
        assertThat(status(id)).isEqualTo(ApprovalStatus.PENDING);
    }

    @Test
    void whenApproveAndRejectRaceExactlyOneWins() {
        String id = request(3600, null);
        String approve = command(id, ApprovalCommand.APPROVE, null, null, null);
        String reject = command(id, ApprovalCommand.REJECT, null, "no", null);

        List<ApprovalReply> both = List.of(reply(), reply());

        assertThat(both).extracting(ApprovalReply::commandId).containsExactly(approve, reject);
        assertThat(both).filteredOn(ApprovalReply::accepted).singleElement()
                .satisfies(r -> assertThat(r.commandId()).isEqualTo(approve));
        assertThat(both).filteredOn(r -> !r.accepted()).singleElement()
                .satisfies(r -> assertThat(r.error()).isEqualTo(ApprovalReply.NOT_FOUND_OR_COMPLETED));
        assertThat(allDecisions()).singleElement()
                .satisfies(d -> assertThat(d.outcome()).isEqualTo(ApprovalStatus.APPROVED));
    }

    @Test
    void aReplayedRequestDoesNotReopenADecidedOne() {
        String id = request(3600, null);
        command(id, ApprovalCommand.APPROVE, null, null, null);
        reply();

        requests.pipeInput(id, Json.writeBytes(new ApprovalRequest(id, "wf-1", "Review", null, "Approve?", START,
                3600, null)));
        command(id, ApprovalCommand.REJECT, null, "late", null);

        assertThat(reply().accepted()).isFalse();
        assertThat(status(id)).isEqualTo(ApprovalStatus.APPROVED);
    }

    @Test
    void aTimeoutTakesTheDefaultResponseFromTheWallClockPunctuation() {
        String id = request(60, "yes");
        driver.advanceWallClockTime(Duration.ofSeconds(59));
        assertThat(decisions.isEmpty()).isTrue();
        assertThat(status(id)).isEqualTo(ApprovalStatus.PENDING);

        driver.advanceWallClockTime(Duration.ofSeconds(2));

        assertThat(allDecisions()).singleElement().satisfies(d -> {
            assertThat(d.outcome()).isEqualTo(ApprovalStatus.TIMED_OUT);
            assertThat(d.response()).isEqualTo("yes");
            assertThat(d.decidedBy()).isNull();
            assertThat(d.decidedAt()).isAfterOrEqualTo(START.plusSeconds(60));
        });
        assertThat(status(id)).isEqualTo(ApprovalStatus.TIMED_OUT);
        // a late approve is refused, with no second decision
        command(id, ApprovalCommand.APPROVE, null, null, null);
        assertThat(reply().error()).isEqualTo(ApprovalReply.NOT_FOUND_OR_COMPLETED);
        assertThat(decisions.isEmpty()).isTrue();
    }

    @Test
    void aTimeoutWithoutDefaultResponseHasNoResponse() {
        String id = request(5, null);

        driver.advanceWallClockTime(Duration.ofSeconds(6));

        assertThat(allDecisions()).singleElement().satisfies(d -> {
            assertThat(d.outcome()).isEqualTo(ApprovalStatus.TIMED_OUT);
            assertThat(d.response()).isNull();
        });
        assertThat(status(id)).isEqualTo(ApprovalStatus.TIMED_OUT);
    }

    @Test
    void aCommandAfterTheDeadlineIsRefusedEvenBeforeThePunctuationRan() {
        // created long before the driver's clock: already due when the command arrives, no punctuation in between
        String id = UUID.randomUUID().toString();
        requests.pipeInput(id, Json.writeBytes(new ApprovalRequest(id, "wf-1", "Review", null, "Approve?",
                START.minusSeconds(120), 60, null)));

        command(id, ApprovalCommand.APPROVE, null, null, null);

        assertThat(reply().accepted()).isFalse();
        assertThat(allDecisions()).singleElement()
                .satisfies(d -> assertThat(d.outcome()).isEqualTo(ApprovalStatus.TIMED_OUT));
    }

    @Test
    void decidedEntriesArePurgedAfterTheRetentionAndPendingOnesAreKept() {
        String decided = request(7 * 24 * 3600, null);
        String stillPending = request(7 * 24 * 3600, null);
        command(decided, ApprovalCommand.APPROVE, null, null, null);
        reply();

        driver.advanceWallClockTime(RETENTION.minusSeconds(5));
        assertThat(status(decided)).isEqualTo(ApprovalStatus.APPROVED);

        driver.advanceWallClockTime(Duration.ofSeconds(10));

        assertThat(status(decided)).isNull();
        assertThat(status(stillPending)).isEqualTo(ApprovalStatus.PENDING);
        KeyValueStore<String, String> timers = driver.getKeyValueStore(ApprovalTopology.TIMERS);
        try (var all = timers.all()) {
            // only the pending request's deadline timer is left
            assertThat(all.hasNext()).isTrue();
            assertThat(all.next().value).isEqualTo(stillPending);
            assertThat(all.hasNext()).isFalse();
        }
        // after the purge a late command is still refused, as unknown
        command(decided, ApprovalCommand.REJECT, null, "late", null);
        assertThat(reply().error()).isEqualTo(ApprovalReply.NOT_FOUND_OR_COMPLETED);
    }

    @Test
    void anUnreadableRecordIsSkippedWithoutStoppingTheOwner() {
        String id = UUID.randomUUID().toString();
        requests.pipeInput(id, "{not json".getBytes());
        String good = request(3600, null);

        command(good, ApprovalCommand.APPROVE, null, null, null);

        assertThat(reply().accepted()).isTrue();
        assertThat(status(id)).isNull();
    }
}
