package ai.aegis.worker.execution;

import ai.aegis.schemas.execution.ExecutionEvent;

/** Where an execution's events go (the events topic in production). Thread-safe; order of calls is kept. */
public interface EventSink {

    /** Emits without waiting for durability. */
    void emit(ExecutionEvent event);

    /** Emits and waits until the event is durable; used for terminal events. */
    void emitDurably(ExecutionEvent event) throws Exception;
}
