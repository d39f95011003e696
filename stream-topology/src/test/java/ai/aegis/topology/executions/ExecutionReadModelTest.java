package ai.aegis.topology.executions;

import ai.aegis.schemas.execution.ExecutionEvent;
import ai.aegis.schemas.execution.ExecutionRequest;
import ai.aegis.schemas.json.Json;
import ai.aegis.topology.readmodel.EventHistory;
import ai.aegis.topology.readmodel.EventReadModel;
import ai.aegis.topology.readmodel.EventReadModel.StoredEvent;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Future;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;

import ai.aegis.schemas.execution.ExecutionRequest;
import ai.aegis.topology.readmodel.RocksViewArchive;
import ai.aegis.topology.readmodel.ViewArchive;
import org.junit.jupiter.api.io.TempDir;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The fold, the bounded window of events and the cursors over it, as pure logic against a topic in memory (the
 * real-broker path: {@code CatchUpReaderTest}, and end to end in the cli module's {@code OutputFloodTest}).
 */
class ExecutionReadModelTest {

    private static final String ID = "11111111-2222-4333-8444-555555555555";
    private static final String OTHER = "99999999-2222-4333-8444-555555555555";
    private static final Instant T = Instant.parse("2026-11-28T10:00:00Z");
    private static final String TOPIC = "events";

    /** The topic: every record the tail handed the view, which a subscriber may read back. */
    private final Topic topic = new Topic();
    private ExecutionReadModel model = new ExecutionReadModel(new EventReadModel.Limits(100, 1 << 20, 1 << 20));

    private void event(long offset, ExecutionEvent e) {
        event(ID, offset, e);
    }

    private void event(String id, long offset, ExecutionEvent e) {
        byte[] value = Json.writeBytes(e);
        topic.add(id, offset, value);
        model.onEvent(id, 0, offset, value);
    }

    private EventReadModel<ExecutionEvent, ExecutionState, ExecutionView>.Subscription subscribe(String id,
                                                                                                long after) {
        return model.subscribe(id, after, topic, TOPIC).orElseThrow();
    }

    /** Reads a subscription to its terminal event. */
    private static List<StoredEvent> readToEnd(EventReadModel<?, ?, ?>.Subscription sub) throws Exception {
        List<StoredEvent> out = new ArrayList<>();
        while (!sub.done()) {
            List<StoredEvent> batch = sub.next(Duration.ofSeconds(5));
            assertThat(batch).as("a batch before the end").isNotEmpty();
            out.addAll(batch);
        }
        return out;
    }

    @Test
    void anArrivalListenerIsToldOfEachChangeOfItsAggregateOnlyUntilItCloses() throws Exception {
        event(0, new ExecutionEvent.ExecutionStarted(ID, "agent", T));
        event(OTHER, 1, new ExecutionEvent.ExecutionStarted(OTHER, "agent", T));
        var sub = subscribe(ID, -1);
        var other = subscribe(ID, -1);
        java.util.concurrent.atomic.AtomicInteger told = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicInteger otherTold = new java.util.concurrent.atomic.AtomicInteger();
        sub.onArrival(told::incrementAndGet);
        other.onArrival(otherTold::incrementAndGet);
        assertThatThrownBy(() -> sub.onArrival(() -> { })).isInstanceOf(IllegalStateException.class);

        event(2, new ExecutionEvent.IterationStarted(ID, 1, "task", T));
        event(OTHER, 3, new ExecutionEvent.IterationStarted(OTHER, 1, "task", T)); // another aggregate: not told
        assertThat(told).hasValue(1);
        // a listener polls without waiting and gets what arrived
        assertThat(sub.next(Duration.ZERO)).extracting(StoredEvent::id).containsExactly(0L, 2L);
        assertThat(sub.next(Duration.ZERO)).isEmpty();

        sub.close();
        event(4, new ExecutionEvent.ExecutionCompleted(ID, "done", 1, T));
        assertThat(told).as("closed: no longer told").hasValue(1);
        assertThat(otherTold).as("the other subscriber still is").hasValue(2);
        assertThat(readToEnd(other)).extracting(StoredEvent::id).containsExactly(0L, 2L, 4L);
    }

    @Test
    void foldsRequestAndEventsInEitherOrderAndKeepsTheTerminalStatus() {
        event(0, new ExecutionEvent.ExecutionStarted(ID, "agent", T));
        model.onRequest(ExecutionRequest.newBuilder().setExecutionId(ID).setAgentId("agent").setInput("input")
                .setRequestedAt(T).build());
        assertThat(model.view(ID).orElseThrow().status().wireName()).isEqualTo("running");
        event(1, new ExecutionEvent.IterationStarted(ID, 1, "task", T));
        event(2, new ExecutionEvent.IterationFailed(ID, 1, new ExecutionEvent.IterationError("runtime_error", "boom", null), T));
        event(3, new ExecutionEvent.ExecutionFailed(ID, "all failed", 1, T));
        event(4, new ExecutionEvent.ExecutionCompleted(ID, "late", 1, T));
        ExecutionView v = model.view(ID).orElseThrow();
        assertThat(v.status().wireName()).isEqualTo("failed");
        assertThat(v.error()).isEqualTo("all failed");
        assertThat(v.input()).isEqualTo("input");
        assertThat(v.iterations()).singleElement().satisfies(i -> {
            assertThat(i.status().wireName()).isEqualTo("failed");
            assertThat(i.error()).isEqualTo("boom");
        });
    }

    /**
     * A worker took the execution over as attempt 2 while attempt 1's worker was frozen: once attempt 2 began, the
     * frozen worker's later events (its output, its end) are neither in the view, nor in the history, nor streamed.
     */
    @Test
    void eventsOfASupersededAttemptAreLeftOutOfTheViewTheHistoryAndTheStream() throws Exception {
        supersededAttemptWritesOn();
        ExecutionView v = model.view(ID).orElseThrow();
        assertThat(v.status().wireName()).isEqualTo("completed");
        assertThat(v.finalOutput()).isEqualTo("real output");
        assertThat(v.iterations()).singleElement().satisfies(i -> assertThat(i.output()).isEqualTo("real output"));
        assertThat(readToEnd(subscribe(ID, -1))).extracting(StoredEvent::id)
                .containsExactly(0L, 1L, 2L, 3L, 4L, 8L, 9L);
    }

    /** The same when the history has left memory and a stream reads it back from the topic. */
    @Test
    void aStreamReadingTheHistoryBackLeavesOutTheSupersededAttemptToo() throws Exception {
        model = new ExecutionReadModel(new EventReadModel.Limits(100, 1 << 20, 1)); // keeps next to nothing
        supersededAttemptWritesOn();
        var sub = subscribe(ID, -1);
        assertThat(readToEnd(sub)).extracting(StoredEvent::id).containsExactly(0L, 1L, 2L, 3L, 4L, 8L, 9L);
        assertThat(sub.readBack()).as("read back from the topic").isPositive();
    }

    /** Attempt 1 writes, attempt 2 begins, attempt 1 (frozen, woken) writes on, attempt 2 ends. */
    private void supersededAttemptWritesOn() {
        event(0, new ExecutionEvent.ExecutionStarted(ID, "agent", T));
        event(1, new ExecutionEvent.IterationStarted(ID, 1, "task", T));
        event(2, new ExecutionEvent.IterationOutput(ID, 1, "stdout", "first run", T));
        event(3, new ExecutionEvent.ExecutionStarted(ID, "agent", T).withAttempt(2));
        event(4, new ExecutionEvent.IterationStarted(ID, 1, "task", T).withAttempt(2));
        // the frozen first worker wakes up and goes on writing
        event(5, new ExecutionEvent.IterationOutput(ID, 1, "stdout", "zombie", T).withAttempt(1));
        event(6, new ExecutionEvent.IterationCompleted(ID, 1, "zombie output", T));
        event(7, new ExecutionEvent.ExecutionCompleted(ID, "zombie output", 1, T));
        ExecutionView running = model.view(ID).orElseThrow();
        assertThat(running.status().wireName()).isEqualTo("running");
        assertThat(running.iterations()).singleElement().satisfies(i ->
                assertThat(i.status().wireName()).isEqualTo("running"));
        event(8, new ExecutionEvent.IterationCompleted(ID, 1, "real output", T).withAttempt(2));
        event(9, new ExecutionEvent.ExecutionCompleted(ID, "real output", 1, T).withAttempt(2));
    }

    @Test
    void aNewAttemptAfterTheEndChangesNothingAndEventsWithoutAnAttemptAreOfTheFirst() throws Exception {
        event(0, new ExecutionEvent.ExecutionStarted(ID, "agent", T).withAttempt(1));
        event(1, new ExecutionEvent.IterationStarted(ID, 1, "task", T));
        event(2, new ExecutionEvent.IterationCompleted(ID, 1, "out", T));
        event(3, new ExecutionEvent.ExecutionCompleted(ID, "out", 1, T));
        // attempt 2 began before attempt 1's worker, woken from a freeze, wrote the end: an end is final
        event(4, new ExecutionEvent.ExecutionStarted(ID, "agent", T).withAttempt(2));
        event(5, new ExecutionEvent.IterationStarted(ID, 1, "task", T).withAttempt(2));
        event(6, new ExecutionEvent.IterationCompleted(ID, 1, "other", T).withAttempt(2));
        event(7, new ExecutionEvent.IterationStarted(ID, 2, "task", T).withAttempt(2));
        ExecutionView v = model.view(ID).orElseThrow();
        assertThat(v.status().wireName()).isEqualTo("completed");
        assertThat(v.finalOutput()).isEqualTo("out");
        assertThat(v.iterations()).singleElement().satisfies(i -> assertThat(i.output()).isEqualTo("out"));
        assertThat(readToEnd(subscribe(ID, -1))).extracting(StoredEvent::id).containsExactly(0L, 1L, 2L, 3L);
        assertThat(subscribe(ID, 3).atEnd()).isTrue();
    }

    @Test
    void aSubscriberGetsHistoryThenLiveEventsExactlyOnce() throws Exception {
        event(0, new ExecutionEvent.ExecutionStarted(ID, "agent", T));
        event(1, new ExecutionEvent.IterationStarted(ID, 1, "task", T));
        var sub = subscribe(ID, 0);
        event(1, new ExecutionEvent.IterationStarted(ID, 1, "task", T)); // a duplicate delivery is ignored
        assertThat(sub.next(Duration.ZERO)).extracting(StoredEvent::id).containsExactly(1L);
        assertThat(sub.next(Duration.ofMillis(10))).isEmpty();

        ExecutorService waiter = Executors.newVirtualThreadPerTaskExecutor();
        Future<List<StoredEvent>> live = waiter.submit(() -> sub.next(Duration.ofSeconds(30)));
        event(5, new ExecutionEvent.ExecutionCompleted(ID, "out", 1, T));
        assertThat(live.get()).extracting(StoredEvent::id).containsExactly(5L);
        assertThat(sub.done()).isTrue();
        waiter.close();
        assertThat(subscribe(ID, 5).atEnd()).isTrue();
        assertThat(subscribe(ID, 1).atEnd()).isFalse();
    }

    @Test
    void memoryIsBoundedPerExecutionWhateverItPrintsAndASubscriberStillGetsEveryEventInOrder() throws Exception {
        model = new ExecutionReadModel(new EventReadModel.Limits(100, 1 << 20, 16 * 1024));
        event(0, new ExecutionEvent.ExecutionStarted(ID, "agent", T));
        event(1, new ExecutionEvent.IterationStarted(ID, 1, "task", T));
        var early = subscribe(ID, -1); // subscribed before the flood and reads nothing meanwhile
        long offset = 2;
        for (int i = 0; i < 2000; i++) {
            event(OTHER, offset++, new ExecutionEvent.IterationOutput(OTHER, 1, "stdout", "other " + i, T));
            event(offset++, new ExecutionEvent.IterationOutput(ID, 1, "stdout", "y\n".repeat(200) + i, T));
        }
        long terminal = offset;
        event(terminal, new ExecutionEvent.ExecutionCompleted(ID, "done", 1, T));

        assertThat(model.retainedBytes(ID).orElseThrow()).isLessThanOrEqualTo(16 * 1024);
        assertThat(model.view(ID).orElseThrow().status().wireName()).isEqualTo("completed");
        List<StoredEvent> all = readToEnd(subscribe(ID, -1));
        assertThat(all).hasSize(2 + 2000 + 1);
        assertThat(all).extracting(StoredEvent::id).isSorted().doesNotHaveDuplicates()
                .startsWith(0L, 1L).endsWith(terminal);
        assertThat(all).allSatisfy(e -> assertThat(e.json()).contains(ID));
        assertThat(all.getLast().terminal()).isTrue();
        // the slow subscriber held nothing while it did not read, and gets the same
        assertThat(readToEnd(early)).extracting(StoredEvent::id).isEqualTo(all.stream().map(StoredEvent::id).toList());
        // a resume from an event long gone from memory starts right after it
        long resumeAfter = all.get(100).id();
        assertThat(readToEnd(subscribe(ID, resumeAfter)).getFirst().id()).isEqualTo(all.get(101).id());
    }

    @Test
    void theViewsBytesAreBoundedByForgettingTheOldestExecutionsEventsFirst() {
        model = new ExecutionReadModel(new EventReadModel.Limits(100, 8 * 1024, 1 << 20));
        long offset = 0;
        List<String> ids = new ArrayList<>();
        for (int n = 0; n < 20; n++) {
            String id = "exec-" + n;
            ids.add(id);
            event(id, offset++, new ExecutionEvent.ExecutionStarted(id, "agent", T));
            event(id, offset++, new ExecutionEvent.IterationOutput(id, 1, "stdout", "x".repeat(500), T));
            event(id, offset++, new ExecutionEvent.ExecutionCompleted(id, "out", 1, T));
        }

        assertThat(model.retainedBytes()).isLessThanOrEqualTo(8 * 1024);
        assertThat(model.retainedBytes(ids.getFirst()).orElseThrow()).isZero();
        assertThat(model.retainedBytes(ids.getLast()).orElseThrow()).isPositive();
        // the state of every execution stays: only the events left memory
        assertThat(ids).allSatisfy(id -> assertThat(model.view(id).orElseThrow().status().wireName())
                .isEqualTo("completed"));
    }

    @Test
    void eventsThatCannotBeReadBackFailTheSubscriptionInsteadOfSkippingThem() {
        model = new ExecutionReadModel(new EventReadModel.Limits(100, 1 << 20, 0)); // nothing stays in memory
        event(0, new ExecutionEvent.ExecutionStarted(ID, "agent", T));
        var sub = model.subscribe(ID, -1, (t, p, from, to, key) -> {
            throw new EventHistory.Unavailable("Kafka is away");
        }, TOPIC).orElseThrow();

        assertThatThrownBy(() -> sub.next(Duration.ZERO)).isInstanceOf(EventHistory.Unavailable.class)
                .hasMessage("Kafka is away");
    }

    @Test
    void aRecordOnTheTopicThatIsNotAnEventIsSkippedAsTheTailSkippedIt() throws Exception {
        model = new ExecutionReadModel(new EventReadModel.Limits(100, 1 << 20, 0));
        event(0, new ExecutionEvent.ExecutionStarted(ID, "agent", T));
        topic.add(ID, 1, "{not an event".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> model.onEvent(ID, 0, 1, "{not an event".getBytes(StandardCharsets.UTF_8)));
        event(2, new ExecutionEvent.ExecutionCompleted(ID, "out", 1, T));

        assertThat(readToEnd(subscribe(ID, -1))).extracting(StoredEvent::id).containsExactly(0L, 2L);
    }

    @Test
    void memoryIsBoundedByForgettingTheOldestFinishedExecutions() {
        ExecutionReadModel small = new ExecutionReadModel(new EventReadModel.Limits(2, 1 << 20, 1 << 20));
        for (String id : List.of("a", "b", "c")) {
            small.onEvent(id, 0, 0, Json.writeBytes(new ExecutionEvent.ExecutionCompleted(id, "x", 1, T)));
        }
        assertThat(small.size()).isEqualTo(2);
        assertThat(small.view("a")).isEmpty();
        assertThat(small.view("c")).isPresent();
        assertThat(small.retainedBytes()).isEqualTo(small.retainedBytes("b").orElseThrow()
                + small.retainedBytes("c").orElseThrow());
    }

    /**
     * 20,000 executions wait for a worker while others finish: the finished ones stay (the newest up to the limit in
     * memory, the rest in the archive), answerable by id, listed by status, streamed to their end with 204 after it.
     * Before, every finished execution was forgotten the moment it ended once the pending ones filled the limit.
     */
    @Test
    void finishedExecutionsStayAnswerableUnderABacklogOfPendingOnes(@TempDir Path dir) throws Exception {
        try (RocksViewArchive<ExecutionView> archive = archive(dir)) {
            model = new ExecutionReadModel(new EventReadModel.Limits(100, 1 << 20, 1 << 20), archive);
            for (int n = 0; n < 20_000; n++) {
                model.onRequest(request("pending-" + n, n % 2 == 0 ? AGENT_A : AGENT_B));
            }
            long offset = 0;
            List<String> done = new ArrayList<>();
            for (int n = 0; n < 300; n++) {
                String id = "done-" + n;
                done.add(id);
                model.onRequest(request(id, AGENT_A));
                event(id, offset++, new ExecutionEvent.ExecutionStarted(id, AGENT_A, T));
                event(id, offset++, new ExecutionEvent.IterationStarted(id, 1, "task", T));
                event(id, offset++, new ExecutionEvent.ExecutionCompleted(id, "out " + n, 1, T));
            }

            assertThat(model.size()).isEqualTo(20_000 + 100); // the pending ones, and the newest finished ones
            assertThat(model.pending()).isEqualTo(20_000);
            assertThat(model.pending(AGENT_A)).isEqualTo(10_000);
            assertThat(model.pending(AGENT_B.toUpperCase())).isEqualTo(10_000);
            assertThat(done).allSatisfy(id -> {
                ExecutionView v = model.view(id).orElseThrow();
                assertThat(v.status().wireName()).isEqualTo("completed");
                assertThat(v.finalOutput()).isEqualTo("out " + id.substring(5));
            });
            assertThat(model.list(Optional.of("completed"), Optional.empty(), 1000)).hasSize(100)
                    .allSatisfy(v -> assertThat(v.id()).startsWith("done-"));
            assertThat(model.list(Optional.of("pending"), Optional.of(AGENT_B), 5)).hasSize(5)
                    .allSatisfy(v -> assertThat(v.agentId()).isEqualTo(AGENT_B));
            assertThat(model.list(Optional.of("running"), Optional.empty(), 5)).isEmpty();

            // the first one is only in the archive: its history is read back from the topic, then 204
            String first = done.getFirst();
            assertThat(model.retainedBytes(first)).isEmpty();
            assertThat(readToEnd(subscribe(first, -1))).extracting(StoredEvent::id).containsExactly(0L, 1L, 2L);
            assertThat(subscribe(first, 2).atEnd()).isTrue();
            // its request, read again at a start, and a late event do not bring it back as a new execution
            model.onRequest(request(first, AGENT_A));
            event(first, 10_000, new ExecutionEvent.IterationStarted(first, 2, "task", T));
            assertThat(model.view(first).orElseThrow().status().wireName()).isEqualTo("completed");
            assertThat(model.size()).isEqualTo(20_100);
        }
    }

    @Test
    void aFinishedExecutionWithASubscriberIsKeptInMemoryUntilTheStreamCloses(@TempDir Path dir) throws Exception {
        try (RocksViewArchive<ExecutionView> archive = archive(dir)) {
            model = new ExecutionReadModel(new EventReadModel.Limits(1, 1 << 20, 1 << 20), archive);
            event("a", 0, new ExecutionEvent.ExecutionStarted("a", AGENT_A, T));
            var watching = subscribe("a", -1);
            event("a", 1, new ExecutionEvent.ExecutionCompleted("a", "x", 1, T));
            event("b", 2, new ExecutionEvent.ExecutionCompleted("b", "x", 1, T));
            event("c", 3, new ExecutionEvent.ExecutionCompleted("c", "x", 1, T));
            assertThat(model.retainedBytes("a")).isPresent(); // watched: not forgotten
            assertThat(model.retainedBytes("b")).isEmpty(); // the older finished one went to the archive
            assertThat(model.subscriberCount()).isEqualTo(1);
            assertThat(readToEnd(watching)).extracting(StoredEvent::id).containsExactly(0L, 1L);
            watching.close();
            assertThat(model.subscriberCount()).isZero();
            assertThat(model.size()).isEqualTo(1);
            assertThat(model.view("a").orElseThrow().finalOutput()).isEqualTo("x");
        }
    }

    @Test
    void theArchiveForgetsWhatIsOlderThanItsRetentionAndSurvivesAReopen(@TempDir Path dir) {
        java.util.concurrent.atomic.AtomicLong now = new java.util.concurrent.atomic.AtomicLong(1_000_000);
        java.time.Clock clock = new java.time.Clock() {
            @Override
            public java.time.ZoneId getZone() {
                return java.time.ZoneOffset.UTC;
            }

            @Override
            public java.time.Clock withZone(java.time.ZoneId zone) {
                return this;
            }

            @Override
            public Instant instant() {
                return Instant.ofEpochMilli(now.get());
            }
        };
        ExecutionView view = new ExecutionState("x").view();
        try (RocksViewArchive<ExecutionView> archive = new RocksViewArchive<>(dir.resolve("v"), Duration.ofHours(1),
                clock, Json::writeBytes, b -> Json.read(b, ExecutionView.class))) {
            archive.put("x", new ViewArchive.Archived<>(3, 10, 20, Map.of(1, 10L, 2, 15L), view));
            // a second view on the same directory takes a sibling instead of failing
            try (RocksViewArchive<ExecutionView> second = archive(dir.resolve("v"))) {
                assertThat(second.dir()).isNotEqualTo(archive.dir());
                assertThat(second.contains("x")).isFalse();
            }
        }
        try (RocksViewArchive<ExecutionView> reopened = new RocksViewArchive<>(dir.resolve("v"), Duration.ofHours(1),
                clock, Json::writeBytes, b -> Json.read(b, ExecutionView.class))) {
            ViewArchive.Archived<ExecutionView> got = reopened.get("x").orElseThrow();
            assertThat(got.partition()).isEqualTo(3);
            assertThat(got.lastId()).isEqualTo(20);
            assertThat(got.attemptsFrom()).containsExactlyInAnyOrderEntriesOf(Map.of(1, 10L, 2, 15L));
            assertThat(got.view()).isEqualTo(view);
            now.addAndGet(Duration.ofHours(1).plusSeconds(1).toMillis());
            assertThat(reopened.contains("x")).isFalse();
            assertThat(reopened.get("x")).isEmpty();
        }
    }

    private static final String AGENT_A = "aaaaaaaa-2222-4333-8444-555555555555";
    private static final String AGENT_B = "bbbbbbbb-2222-4333-8444-555555555555";

    private static RocksViewArchive<ExecutionView> archive(Path dir) {
        return new RocksViewArchive<>(dir, Duration.ofHours(24), java.time.Clock.systemUTC(), Json::writeBytes,
                b -> Json.read(b, ExecutionView.class));
    }

    private static ExecutionRequest request(String id, String agentId) {
        return ExecutionRequest.newBuilder().setExecutionId(id).setAgentId(agentId).setInput("in")
                .setRequestedAt(T).build();
    }

    /** A partition in memory: what the tail read, page by page as the catch-up reader serves it. */
    private static final class Topic implements EventHistory {
        record Rec(String key, long offset, byte[] value) {
        }

        private final List<Rec> records = new ArrayList<>();
        private static final int PAGE = 7;

        void add(String key, long offset, byte[] value) {
            records.add(new Rec(key, offset, value));
        }

        @Override
        public Page read(String topic, int partition, long from, long to, String key) {
            List<Found> found = new ArrayList<>();
            long next = from;
            for (Rec r : records) {
                if (r.offset() < from || r.offset() > to) {
                    continue;
                }
                next = r.offset() + 1;
                if (r.key().equals(key)) {
                    found.add(new Found(r.offset(), r.value()));
                    if (found.size() == PAGE) {
                        return new Page(found, next);
                    }
                }
            }
            return new Page(found, to + 1);
        }
    }
}
