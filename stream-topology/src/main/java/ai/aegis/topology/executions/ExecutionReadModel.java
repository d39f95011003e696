package ai.aegis.topology.executions;

import ai.aegis.schemas.execution.ExecutionEvent;
import ai.aegis.schemas.execution.ExecutionRequest;
import ai.aegis.topology.readmodel.EventReadModel;
import ai.aegis.topology.serde.WireReaders;

import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.function.Predicate;

/** The node's view of executions: folded from the execution request and event topics. */
public final class ExecutionReadModel extends EventReadModel<ExecutionEvent, ExecutionState, ExecutionView> {

    /** Newest request first (an execution without a request, a judge say, by its start). */
    public static final Comparator<ExecutionView> NEWEST_FIRST = Comparator.comparing((ExecutionView v) ->
            v.requestedAt() != null ? v.requestedAt() : v.startedAt() != null ? v.startedAt() : Instant.EPOCH)
            .reversed();

    public ExecutionReadModel(Limits limits) {
        super(limits, ExecutionState::new, WireReaders.EXECUTION_EVENT::read,
                ExecutionEvent::terminal);
    }

    /** Folds a request record (from the tail or from the node that just accepted it). */
    public void onRequest(ExecutionRequest request) {
        update(request.executionId(), state -> state.apply(request));
    }

    public List<ExecutionView> list(Predicate<ExecutionView> filter, int limit) {
        return list(filter, NEWEST_FIRST, limit);
    }
}
