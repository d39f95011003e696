package ai.aegis.worker.execution;

import ai.aegis.schemas.execution.ExecutionEvent;

/** Passes events on until silenced; a halted worker (failure tests) must write nothing more, like a dead one. */
public final class SilenceableSink implements EventSink {

    private final EventSink delegate;
    private volatile boolean silenced;

    public SilenceableSink(EventSink delegate) {
        this.delegate = delegate;
    }

    public void silence() {
        silenced = true;
    }

    @Override
    public void emit(ExecutionEvent event) {
        if (!silenced) {
            delegate.emit(event);
        }
    }

    @Override
    public void emitDurably(ExecutionEvent event) throws Exception {
        if (!silenced) {
            delegate.emitDurably(event);
        }
    }
}
