package ai.aegis.schemas.workflow;

import ai.aegis.schemas.execution.ExecutionStatus;
import ai.aegis.schemas.topic.CloudEventHeaders;

import java.time.Instant;

/**
 * What a worker reports, keyed by workflow execution id, when an execution (Agent state) or a container run
 * (ContainerRun state) that a workflow started has ended. {@code step} is the {@code state_entered.step} that
 * started it, so that the engine ignores a late or repeated result of a step it has already left.
 *
 * <p>A worker that runs a step's execution again (it took it over from a worker that was lost) first reports the new
 * run attempt with status {@code running} ({@link #attemptStarted}): from then on the engine ignores the results of
 * earlier attempts, so a worker given up for dead that wakes up cannot end the step with its superseded run.
 *
 * @param status   how the execution ended, a terminal status: {@code completed}, {@code failed}, {@code cancelled}
 *                 or {@code timed_out}; {@code running} only in the notice that a new attempt started
 * @param output   the final output (ContainerRun: stdout), empty when none
 * @param error    why it did not complete, null when it did
 * @param exitCode ContainerRun only
 * @param score    the validation score (0..1) when the step had one
 * @param attempt  the run attempt of the execution that this result or notice is of; null read as the first
 */
public record WorkflowStepResult(String workflowExecutionId, int step, String executionId, ExecutionStatus status,
                                 String output, String error, Integer exitCode, Double score, Instant finishedAt,
                                 Integer attempt) {

    public static final String CE_TYPE = CloudEventHeaders.type("workflow", "step_finished");

    /** The result of the first run (or an unnumbered one). */
    public WorkflowStepResult(String workflowExecutionId, int step, String executionId, ExecutionStatus status,
                              String output, String error, Integer exitCode, Double score, Instant finishedAt) {
        this(workflowExecutionId, step, executionId, status, output, error, exitCode, score, finishedAt, null);
    }

    /** The notice that run attempt {@code attempt} of the step's execution has started. */
    public static WorkflowStepResult attemptStarted(String workflowExecutionId, int step, String executionId,
                                                    int attempt, Instant at) {
        return new WorkflowStepResult(workflowExecutionId, step, executionId, ExecutionStatus.RUNNING, "", null,
                null, null, at, attempt);
    }

    /** The same result, of run attempt {@code attempt}. */
    public WorkflowStepResult withAttempt(Integer attempt) {
        return new WorkflowStepResult(workflowExecutionId, step, executionId, status, output, error, exitCode, score,
                finishedAt, attempt);
    }

    /** {@link #attempt()}, an absent one read as the first run. */
    public int attemptNumber() {
        return attempt == null || attempt < 1 ? 1 : attempt;
    }

    /** True for the notice of a new attempt ({@code running}): the step has not ended. */
    public boolean attemptNotice() {
        return status == ExecutionStatus.RUNNING;
    }

    /** Whether {@code on_success} holds: completed, and for a container run exit code 0. */
    public boolean succeeded() {
        return status == ExecutionStatus.COMPLETED && (exitCode == null || exitCode == 0);
    }
}
