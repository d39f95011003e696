package ai.aegis.topology.executions;

import ai.aegis.schemas.execution.ExecutionStatus;

import java.time.Instant;
import java.util.List;

/**
 * The current state of one execution, folded from its request and events; what {@code GET /v1/executions/{id}}
 * serves.
 *
 * @param status pending | running | completed | failed | cancelled | timed_out
 */
public record ExecutionView(String id, String agentId, String agentName, ExecutionStatus status, String input,
                            Instant requestedAt, Instant startedAt, Instant endedAt, Integer totalIterations,
                            String finalOutput, String error, List<Iteration> iterations) {

    public boolean terminal() {
        return status != null && status.terminal();
    }

    /** The list view: no iterations, no input. */
    public ExecutionView summary() {
        return new ExecutionView(id, agentId, agentName, status, null, requestedAt, startedAt, endedAt,
                totalIterations, null, error, null);
    }

    /**
     * @param status running | completed | failed
     */
    public record Iteration(int number, ExecutionStatus status, String action, String output, String error,
                            int toolCalls, Instant startedAt, Instant endedAt) {
    }
}
