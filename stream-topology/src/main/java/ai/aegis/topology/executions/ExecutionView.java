package ai.aegis.topology.executions;

import java.time.Instant;
import java.util.List;

/**
 * The current state of one execution, folded from its request and events; what {@code GET /v1/executions/{id}}
 * serves.
 *
 * @param status pending | running | completed | failed | cancelled | timed_out
 */
public record ExecutionView(String id, String agentId, String agentName, String status, String input,
                            Instant requestedAt, Instant startedAt, Instant endedAt, Integer totalIterations,
                            String finalOutput, String error, List<Iteration> iterations) {

    public static final String PENDING = "pending";
    public static final String RUNNING = "running";
    public static final String COMPLETED = "completed";
    public static final String FAILED = "failed";
    public static final String CANCELLED = "cancelled";
    public static final String TIMED_OUT = "timed_out";

    public static final java.util.Set<String> TERMINAL = java.util.Set.of(COMPLETED, FAILED, CANCELLED, TIMED_OUT);

    public boolean terminal() {
        return TERMINAL.contains(status);
    }

    /** The list view: no iterations, no input. */
    public ExecutionView summary() {
        return new ExecutionView(id, agentId, agentName, status, null, requestedAt, startedAt, endedAt,
                totalIterations, null, error, null);
    }

    /**
     * @param status running | completed | failed
     */
    public record Iteration(int number, String status, String action, String output, String error,
                            int toolCalls, Instant startedAt, Instant endedAt) {
    }
}
