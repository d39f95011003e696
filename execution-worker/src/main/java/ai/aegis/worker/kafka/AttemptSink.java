package ai.aegis.worker.kafka;

import ai.aegis.schemas.execution.ExecutionEvent;
import ai.aegis.worker.execution.EventSink;
import ai.aegis.worker.execution.ExecutionControl;

import java.util.function.BiPredicate;

/**
 * The events of one run of an execution: numbered with the run's attempt, and fenced. Once the run is superseded
 * nothing more of it is written, its judges' events included; before it writes its end it makes sure that no newer
 * attempt has begun (as far as this worker has read) and that this worker still holds the request (a round trip to
 * Kafka). Judges (child executions with ids of their own) share the sink; their events keep no attempt.
 */
final class AttemptSink implements EventSink {

    private static final System.Logger LOG = System.getLogger(AttemptSink.class.getName());

    private final EventSink delegate;
    private final ExecutionControl control;
    private final BiPredicate<String, Integer> newerAttempt;

    /** @param newerAttempt whether an attempt newer than the given one of the execution has begun */
    AttemptSink(EventSink delegate, ExecutionControl control, BiPredicate<String, Integer> newerAttempt) {
        this.delegate = delegate;
        this.control = control;
        this.newerAttempt = newerAttempt;
    }

    @Override
    public void emit(ExecutionEvent event) {
        if (!control.superseded()) {
            delegate.emit(numbered(event));
        }
    }

    @Override
    public void emitDurably(ExecutionEvent event) throws Exception {
        if (control.superseded()) {
            return;
        }
        if (event.terminal() && own(event)) {
            if (newerAttempt.test(control.executionId(), control.attempt())) {
                control.supersede("a newer attempt of the execution has begun");
            }
            if (!control.confirmLease()) {
                LOG.log(System.Logger.Level.WARNING, "execution " + control.executionId() + ": attempt "
                        + control.attempt() + " was superseded (" + control.reason() + "); its "
                        + event.type() + " is not written");
                return;
            }
        }
        delegate.emitDurably(numbered(event));
    }

    private ExecutionEvent numbered(ExecutionEvent event) {
        return own(event) ? event.withAttempt(control.attempt()) : event;
    }

    private boolean own(ExecutionEvent event) {
        return control.executionId().equals(event.executionId());
    }
}
