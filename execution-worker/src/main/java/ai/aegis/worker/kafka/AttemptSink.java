package ai.aegis.worker.kafka;

import ai.aegis.schemas.execution.ExecutionEvent;
import ai.aegis.worker.execution.EventSink;
import ai.aegis.worker.execution.ExecutionControl;

/**
 * The events of one run of an execution: numbered with the run's attempt, and fenced. Once the run is superseded
 * nothing more of it is written, its judges' events included; before it writes its end it confirms its lease
 * ({@link ExecutionControl#confirmLease}: this worker still holds the request, and no newer attempt has begun).
 * Judges (child executions with ids of their own) share the sink; their events keep no attempt.
 */
final class AttemptSink implements EventSink {

    private static final System.Logger LOG = System.getLogger(AttemptSink.class.getName());

    private final EventSink delegate;
    private final ExecutionControl control;

    AttemptSink(EventSink delegate, ExecutionControl control) {
        this.delegate = delegate;
        this.control = control;
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
