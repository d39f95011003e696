package ai.aegis.topology.executions;

import ai.aegis.schemas.execution.ExecutionEvent;
import ai.aegis.schemas.execution.ExecutionRequest;
import ai.aegis.schemas.json.Json;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The fold and the fan-out, as pure logic (the real-broker path is covered end to end in the cli module). */
class ExecutionReadModelTest {

    private static final String ID = "11111111-2222-4333-8444-555555555555";
    private static final Instant T = Instant.parse("2026-11-28T10:00:00Z");

    private final ExecutionReadModel model = new ExecutionReadModel(100);

    private void event(long offset, ExecutionEvent e) {
        model.onEvent(ID, offset, Json.writeBytes(e));
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
        event(0, new ExecutionEvent.ExecutionStarted(ID, "agent", T));
        event(1, new ExecutionEvent.IterationStarted(ID, 1, "task", T));
        event(2, new ExecutionEvent.IterationOutput(ID, 1, "stdout", "first run", T));
        var sub = model.subscribe(ID, -1, 10).orElseThrow();
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
        ExecutionView v = model.view(ID).orElseThrow();
        assertThat(v.status().wireName()).isEqualTo("completed");
        assertThat(v.finalOutput()).isEqualTo("real output");
        assertThat(v.iterations()).singleElement().satisfies(i -> assertThat(i.output()).isEqualTo("real output"));

        assertThat(sub.history()).extracting(e -> e.id()).containsExactly(0L, 1L, 2L);
        List<Long> live = new java.util.ArrayList<>();
        for (var e = sub.poll(Duration.ofMillis(100)); e != null; e = sub.poll(Duration.ofMillis(100))) {
            live.add(e.id());
        }
        assertThat(live).containsExactly(3L, 4L, 8L, 9L);
        assertThat(model.subscribe(ID, -1, 10).orElseThrow().history()).extracting(e -> e.id())
                .containsExactly(0L, 1L, 2L, 3L, 4L, 8L, 9L);
    }

    @Test
    void aNewAttemptAfterTheEndChangesNothingAndEventsWithoutAnAttemptAreOfTheFirst() {
        event(0, new ExecutionEvent.ExecutionStarted(ID, "agent", T).withAttempt(1));
        event(1, new ExecutionEvent.IterationStarted(ID, 1, "task", T));
        event(2, new ExecutionEvent.IterationCompleted(ID, 1, "out", T));
        event(3, new ExecutionEvent.ExecutionCompleted(ID, "out", 1, T));
        event(4, new ExecutionEvent.ExecutionStarted(ID, "agent", T).withAttempt(2));
        ExecutionView v = model.view(ID).orElseThrow();
        assertThat(v.status().wireName()).isEqualTo("completed");
        assertThat(v.finalOutput()).isEqualTo("out");
        assertThat(v.iterations()).singleElement().satisfies(i -> assertThat(i.output()).isEqualTo("out"));
    }

    @Test
    void aSubscriberGetsHistoryThenLiveEventsExactlyOnce() throws Exception {
        event(0, new ExecutionEvent.ExecutionStarted(ID, "agent", T));
        event(1, new ExecutionEvent.IterationStarted(ID, 1, "task", T));
        var sub = model.subscribe(ID, 0, 10).orElseThrow();
        event(1, new ExecutionEvent.IterationStarted(ID, 1, "task", T)); // a duplicate delivery is ignored
        event(5, new ExecutionEvent.ExecutionCompleted(ID, "out", 1, T));
        assertThat(sub.history()).extracting(e -> e.id()).containsExactly(1L);
        assertThat(sub.poll(Duration.ofSeconds(1)).id()).isEqualTo(5);
        assertThat(sub.poll(Duration.ofMillis(10))).isNull();
        assertThat(model.subscribe(ID, 5, 10).orElseThrow().ended()).isTrue();
    }

    @Test
    void aSlowSubscriberIsDroppedInsteadOfBlockingTheTail() {
        event(0, new ExecutionEvent.ExecutionStarted(ID, "agent", T));
        var sub = model.subscribe(ID, -1, 1).orElseThrow();
        for (int i = 1; i <= 3; i++) {
            event(i, new ExecutionEvent.IterationOutput(ID, 1, "stdout", "line " + i, T));
        }
        assertThat(model.subscriberCount()).isZero();
        assertThat(sub.overflowed()).isFalse(); // one event still queued
    }

    @Test
    void memoryIsBoundedByForgettingTheOldestFinishedExecutions() {
        ExecutionReadModel small = new ExecutionReadModel(2);
        for (String id : List.of("a", "b", "c")) {
            small.onEvent(id, 0, Json.writeBytes(new ExecutionEvent.ExecutionCompleted(id, "x", 1, T)));
        }
        assertThat(small.size()).isEqualTo(2);
        assertThat(small.view("a")).isEmpty();
        assertThat(small.view("c")).isPresent();
    }
}
