package ai.aegis.topology.executions;

import ai.aegis.schemas.execution.ExecutionEvent;
import ai.aegis.schemas.execution.ExecutionRequest;
import ai.aegis.schemas.execution.ExecutionStatus;
import ai.aegis.topology.readmodel.EventReadModel;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Folds an execution's request and events into its {@link ExecutionView}. Pure domain logic: the order of the
 * request and the first events may vary (they travel on different topics), so every step tolerates either order,
 * and a terminal status is never overwritten.
 *
 * <p>Run attempts: the first event of a newer attempt (a worker took the execution over from a lost one and runs it
 * again from the start) supersedes the older ones. Their iterations leave the view, and their later events (of a
 * worker that was frozen and woke up) are not accepted: the model ({@link EventReadModel}) neither stores, nor
 * streams, nor folds them, nor serves them when it reads a stream's history back. An event without an attempt is
 * of the first.
 */
public final class ExecutionState implements EventReadModel.Aggregate<ExecutionEvent, ExecutionView> {

    /** Facet prefixes: {@code status:<wire name>}, {@code agent:<id>}. */
    static final String STATUS = "status:";
    static final String AGENT = "agent:";
    /**
     * {@code pending:} (every pending execution) and {@code pending:<agent id>}: what admission control counts,
     * without walking the view.
     */
    static final String PENDING_OF_AGENT = "pending:";

    private final String id;
    private String agentId;
    private String agentName;
    private ExecutionStatus status = ExecutionStatus.PENDING;
    private String input;
    private Instant requestedAt;
    private Instant startedAt;
    private Instant endedAt;
    private Integer totalIterations;
    private String finalOutput;
    private String error;
    private final List<ExecutionView.Iteration> iterations = new ArrayList<>();
    /** The newest run attempt seen; 0 before any event. */
    private int attempt;

    public ExecutionState(String id) {
        this.id = id;
    }

    public void apply(ExecutionRequest request) {
        agentId = request.agentId();
        agentName = request.agent() == null ? agentName : request.agent().name();
        input = request.input();
        requestedAt = request.requestedAt();
    }

    /** The model refuses the events of a superseded attempt before they reach {@link #apply}. */
    @Override
    public int attempt(ExecutionEvent event) {
        return event.attemptNumber();
    }

    @Override
    public void apply(ExecutionEvent event) {
        if (event.attemptNumber() > attempt) {
            if (attempt > 0 && !terminal()) {
                // the run starts again from its first iteration: what the lost run did is no longer the state
                iterations.clear();
            }
            attempt = event.attemptNumber();
        }
        switch (event) {
            case ExecutionEvent.ExecutionStarted e -> {
                agentId = e.agentId();
                startedAt = e.startedAt();
                if (status == ExecutionStatus.PENDING) {
                    status = ExecutionStatus.RUNNING;
                }
            }
            case ExecutionEvent.IterationStarted e -> replaceIteration(new ExecutionView.Iteration(
                    e.iterationNumber(), ExecutionStatus.RUNNING, e.action(), null, null, 0, e.startedAt(), null));
            case ExecutionEvent.ToolCall e -> iteration(e.iterationNumber()).ifPresent(it -> replaceIteration(
                    new ExecutionView.Iteration(it.number(), it.status(), it.action(), it.output(), it.error(),
                            it.toolCalls() + 1, it.startedAt(), it.endedAt())));
            case ExecutionEvent.IterationCompleted e -> {
                ExecutionView.Iteration it = iteration(e.iterationNumber()).orElse(null);
                replaceIteration(new ExecutionView.Iteration(e.iterationNumber(), ExecutionStatus.COMPLETED,
                        it == null ? null : it.action(), e.output(), null, it == null ? 0 : it.toolCalls(),
                        it == null ? null : it.startedAt(), e.completedAt()));
            }
            case ExecutionEvent.IterationFailed e -> {
                ExecutionView.Iteration it = iteration(e.iterationNumber()).orElse(null);
                replaceIteration(new ExecutionView.Iteration(e.iterationNumber(), ExecutionStatus.FAILED,
                        it == null ? null : it.action(), it == null ? null : it.output(),
                        e.error() == null ? null : e.error().message(), it == null ? 0 : it.toolCalls(),
                        it == null ? null : it.startedAt(), e.failedAt()));
            }
            case ExecutionEvent.ExecutionCompleted e -> end(ExecutionStatus.COMPLETED, e.completedAt(),
                    e.totalIterations(), e.finalOutput(), null);
            case ExecutionEvent.ExecutionFailed e -> end(ExecutionStatus.FAILED, e.failedAt(), e.totalIterations(),
                    null, e.reason());
            case ExecutionEvent.ExecutionCancelled e -> end(ExecutionStatus.CANCELLED, e.cancelledAt(),
                    iterations.size(), null, e.reason());
            case ExecutionEvent.ExecutionTimedOut e -> end(ExecutionStatus.TIMED_OUT, e.timedOutAt(),
                    e.totalIterations(), null, "Execution timed out after " + e.timeoutSeconds() + " seconds");
            case ExecutionEvent.IterationOutput ignored -> {
            }
            case ExecutionEvent.LlmInteraction ignored -> {
            }
            case ExecutionEvent.ValidationPerformed ignored -> {
            }
            case ExecutionEvent.PolicyViolation ignored -> {
            }
        }
    }

    private void end(ExecutionStatus newStatus, Instant at, int total, String output, String reason) {
        if (terminal()) {
            return;
        }
        status = newStatus;
        endedAt = at;
        totalIterations = total;
        finalOutput = output;
        error = reason;
    }

    @Override
    public List<String> facets() {
        String agent = agentId == null ? null : agentId.toLowerCase(java.util.Locale.ROOT);
        if (status == ExecutionStatus.PENDING) {
            return agent == null ? List.of(STATUS + status.wireName(), PENDING_OF_AGENT)
                    : List.of(STATUS + status.wireName(), AGENT + agent, PENDING_OF_AGENT, PENDING_OF_AGENT + agent);
        }
        return agent == null ? List.of(STATUS + status.wireName()) : List.of(STATUS + status.wireName(), AGENT + agent);
    }

    /** From the status alone: eviction asks this of many executions, building their views would be waste. */
    @Override
    public boolean terminal() {
        return status.terminal();
    }

    private java.util.Optional<ExecutionView.Iteration> iteration(int number) {
        return iterations.stream().filter(i -> i.number() == number).findFirst();
    }

    private void replaceIteration(ExecutionView.Iteration it) {
        iterations.removeIf(i -> i.number() == it.number());
        iterations.add(it);
        iterations.sort((a, b) -> Integer.compare(a.number(), b.number()));
    }

    @Override
    public ExecutionView view() {
        return new ExecutionView(id, agentId, agentName, status, input, requestedAt, startedAt, endedAt,
                totalIterations, finalOutput, error, List.copyOf(iterations));
    }
}
