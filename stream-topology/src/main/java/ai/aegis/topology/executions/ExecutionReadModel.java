package ai.aegis.topology.executions;

import ai.aegis.schemas.execution.ExecutionEvent;
import ai.aegis.schemas.execution.ExecutionRequest;
import ai.aegis.topology.readmodel.EventReadModel;
import ai.aegis.topology.readmodel.ViewArchive;
import ai.aegis.topology.serde.WireReaders;

import java.time.Instant;
import java.util.Comparator;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** The node's view of executions: folded from the execution request and event topics. */
public final class ExecutionReadModel extends EventReadModel<ExecutionEvent, ExecutionState, ExecutionView> {

    /** Newest request first (an execution without a request, a judge say, by its start). */
    public static final Comparator<ExecutionView> NEWEST_FIRST = Comparator.comparing((ExecutionView v) ->
            v.requestedAt() != null ? v.requestedAt() : v.startedAt() != null ? v.startedAt() : Instant.EPOCH)
            .reversed();

    public ExecutionReadModel(Limits limits) {
        this(limits, null);
    }

    /** @param archive where finished executions past the limit are kept (null: forgotten) */
    public ExecutionReadModel(Limits limits, ViewArchive<ExecutionView> archive) {
        super(limits, ExecutionState::new, WireReaders.EXECUTION_EVENT::read, ExecutionEvent::terminal, archive);
    }

    /** Folds a request record (from the tail or from the node that just accepted it). */
    public void onRequest(ExecutionRequest request) {
        update(request.executionId(), state -> state.apply(request));
    }

    /**
     * The executions in memory with that status and of that agent (either may be empty), newest first.
     *
     * @param status a status's wire name ({@code pending}, {@code completed})
     */
    public List<ExecutionView> list(Optional<String> status, Optional<String> agentId, int limit) {
        List<String> facets = new ArrayList<>(2);
        status.ifPresent(st -> facets.add(ExecutionState.STATUS + st));
        agentId.ifPresent(a -> facets.add(ExecutionState.AGENT + a.toLowerCase(Locale.ROOT)));
        return list(facets, NEWEST_FIRST, limit);
    }

    /** Executions accepted and not started yet (no event), on every node's requests this node has read. */
    public int pending() {
        return count(ExecutionState.PENDING_OF_AGENT);
    }

    /** The same, of one agent. */
    public int pending(String agentId) {
        return count(ExecutionState.PENDING_OF_AGENT + agentId.toLowerCase(Locale.ROOT));
    }
}
