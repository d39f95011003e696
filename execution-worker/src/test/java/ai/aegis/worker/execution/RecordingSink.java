package ai.aegis.worker.execution;

import ai.aegis.schemas.execution.ExecutionEvent;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Keeps what was emitted, in order, durable or not. */
public final class RecordingSink implements EventSink {

    private final List<ExecutionEvent> events = Collections.synchronizedList(new ArrayList<>());

    @Override
    public void emit(ExecutionEvent event) {
        events.add(event);
    }

    @Override
    public void emitDurably(ExecutionEvent event) {
        events.add(event);
    }

    public List<ExecutionEvent> all() {
        synchronized (events) {
            return List.copyOf(events);
        }
    }

    public <T extends ExecutionEvent> List<T> of(Class<T> type) {
        return all().stream().filter(type::isInstance).map(type::cast).toList();
    }
}
