package ai.aegis.ingress.executions;

import ai.aegis.topology.executions.ExecutionReadModel;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Admission control for new executions: the workers' backlog (executions accepted and not started yet, as this node's
 * view of the requests and events topics counts them, whichever node accepted them) may not grow past a bound for
 * all agents (503) nor for one agent (429), so that a sender faster than the workers is told to slow down instead of
 * growing a queue that nobody will work off in time. Both answers carry {@code Retry-After}. The counts are O(1)
 * (the view indexes pending executions); a few requests racing on several nodes may pass the bound by as many.
 */
public final class ExecutionAdmission {

    /** Seconds a refused sender is asked to wait. */
    static final String RETRY_AFTER_SECONDS = "2";

    /** Why an execution was refused: the bound, its limit and the backlog it counted. */
    public record Refusal(int status, String error, String bound, int limit, int pending, String message) {
        /** The JSON body: {@code error}, {@code message}, {@code bound} ({@code global} or {@code agent}), counts. */
        public Map<String, Object> body() {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("error", error);
            body.put("message", message);
            body.put("bound", bound);
            body.put("limit", limit);
            body.put("pending", pending);
            return body;
        }
    }

    /** Thrown by {@link ExecutionService#start} when the backlog is full; nothing was published. */
    public static final class RefusedException extends RuntimeException {
        private final transient Refusal refusal;

        RefusedException(Refusal refusal) {
            super(refusal.message(), null, false, false);
            this.refusal = refusal;
        }

        public Refusal refusal() {
            return refusal;
        }
    }

    private final int maxPending;
    private final int maxPendingPerAgent;

    public ExecutionAdmission(int maxPending, int maxPendingPerAgent) {
        this.maxPending = maxPending;
        this.maxPendingPerAgent = maxPendingPerAgent;
    }

    /** The refusal for one more execution of {@code agentId}, if the backlog is full. */
    public Optional<Refusal> check(ExecutionReadModel view, String agentId) {
        int perAgent = view.pending(agentId);
        if (perAgent >= maxPendingPerAgent) {
            return Optional.of(new Refusal(429, "agent_backlog_full", "agent", maxPendingPerAgent, perAgent,
                    perAgent + " executions of agent " + agentId + " wait for a worker (the bound is "
                            + maxPendingPerAgent + "); retry later"));
        }
        int all = view.pending();
        if (all >= maxPending) {
            return Optional.of(new Refusal(503, "backlog_full", "global", maxPending, all, all
                    + " executions wait for a worker (the bound is " + maxPending + "); retry later"));
        }
        return Optional.empty();
    }
}
