package ai.aegis.schemas.workflow;

import ai.aegis.schemas.execution.ExecutionStatus;
import ai.aegis.schemas.topic.CloudEventHeaders;

import java.time.Instant;

/**
 * What a worker reports, keyed by workflow execution id, when an execution (Agent state) or a container run
 * (ContainerRun state) that a workflow started has ended. {@code step} is the {@code state_entered.step} that
 * started it, so that the engine ignores a late or repeated result of a step it has already left.
 *
 * @param status   how the execution ended, a terminal status: {@code completed}, {@code failed}, {@code cancelled}
 *                 or {@code timed_out}
 * @param output   the final output (ContainerRun: stdout), empty when none
 * @param error    why it did not complete, null when it did
 * @param exitCode ContainerRun only
 * @param score    the validation score (0..1) when the step had one
 */
public record WorkflowStepResult(String workflowExecutionId, int step, String executionId, ExecutionStatus status,
                                 String output, String error, Integer exitCode, Double score, Instant finishedAt) {

    public static final String CE_TYPE = CloudEventHeaders.type("workflow", "step_finished");

    /** Whether {@code on_success} holds: completed, and for a container run exit code 0. */
    public boolean succeeded() {
        return status == ExecutionStatus.COMPLETED && (exitCode == null || exitCode == 0);
    }
}
