package ai.aegis.worker.kafka;

import ai.aegis.schemas.execution.ExecutionEvent;
import ai.aegis.worker.execution.ExecutionControl;
import ai.aegis.worker.execution.RecordingSink;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The fencing of one run's events, as pure logic (the real path, a worker frozen past its lock, is
 * {@code WorkerFailoverTest}'s): numbered, nothing after being superseded, the end only with the lease confirmed.
 */
class AttemptSinkTest {

    private static final String ID = "3f1c1a8e-6a57-4d8e-9b7a-0c1d2e3f4a5b";
    private static final Instant T = Instant.parse("2026-03-05T14:00:00Z");

    private final RecordingSink out = new RecordingSink();

    @Test
    void eventsCarryTheRunsAttemptAndJudgesKeepTheirOwn() throws Exception {
        ExecutionControl control = new ExecutionControl(ID, 3, ExecutionControl.Lease.HELD);
        AttemptSink sink = new AttemptSink(out, control);
        sink.emit(new ExecutionEvent.ExecutionStarted(ID, "agent", T));
        sink.emit(new ExecutionEvent.ExecutionStarted("judge", "judge-agent", T));
        sink.emitDurably(new ExecutionEvent.ExecutionCompleted(ID, "out", 1, T));
        assertThat(out.all()).extracting(ExecutionEvent::attempt).containsExactly(3, null, 3);
        assertThat(out.durable()).singleElement().isInstanceOf(ExecutionEvent.ExecutionCompleted.class);
    }

    @Test
    void theEndIsWrittenOnlyWhileTheLeaseHoldsAndNothingAfter() throws Exception {
        AtomicBoolean held = new AtomicBoolean(true);
        AtomicInteger asked = new AtomicInteger();
        ExecutionControl control = new ExecutionControl(ID, 1, () -> {
            asked.incrementAndGet();
            return held.get();
        });
        AttemptSink sink = new AttemptSink(out, control);
        sink.emit(new ExecutionEvent.IterationStarted(ID, 1, "task", T));
        assertThat(asked).hasValue(0); // ordinary events need no round trip
        held.set(false);
        sink.emitDurably(new ExecutionEvent.ExecutionCompleted(ID, "out", 1, T));
        sink.emit(new ExecutionEvent.IterationOutput(ID, 1, "stdout", "late", T));
        sink.emitDurably(new ExecutionEvent.IterationFailed(ID, 1, null, T));

        assertThat(asked).hasValue(1);
        assertThat(control.superseded()).isTrue();
        assertThat(control.stop()).isEqualTo(ExecutionControl.Stop.ABANDON);
        assertThat(out.types()).containsExactly("iteration_started");
    }

}
