package ai.aegis.worker.execution;

import ai.aegis.schemas.execution.ExecutionEvent;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** An {@link EventSink} for tests: every event in order, and which of them the caller waited on. */
public final class RecordingSink implements EventSink {

    private final List<ExecutionEvent> events = Collections.synchronizedList(new ArrayList<>());
    private final List<ExecutionEvent> durable = Collections.synchronizedList(new ArrayList<>());

    @Override
    public void emit(ExecutionEvent event) {
        events.add(event);
    }

    @Override
    public void emitDurably(ExecutionEvent event) {
        synchronized (events) {
            events.add(event);
            durable.add(event);
        }
    }

    public List<ExecutionEvent> all() {
        synchronized (events) {
            return List.copyOf(events);
        }
    }

    /** The events emitted with {@link #emitDurably}. */
    public List<ExecutionEvent> durable() {
        synchronized (events) {
            return List.copyOf(durable);
        }
    }

    public List<String> types() {
        return all().stream().map(ExecutionEvent::type).toList();
    }

    public <T extends ExecutionEvent> List<T> of(Class<T> type) {
        return all().stream().filter(type::isInstance).map(type::cast).toList();
    }

    public <T extends ExecutionEvent> T last(Class<T> type) {
        return of(type).getLast();
    }
}
