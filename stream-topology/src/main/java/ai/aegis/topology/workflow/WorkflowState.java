package ai.aegis.topology.workflow;

import ai.aegis.schemas.workflow.WorkflowRecord;
import ai.aegis.schemas.workflow.WorkflowStatus;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Instant;

/**
 * What the workflow engine keeps about one run, the value of its {@code workflow-state} store (JSON through
 * {@code Json.MAPPER}, keyed by workflow execution id). Treated as immutable: {@link WorkflowMachine} copies the
 * blackboard before it changes it.
 *
 * @param workflow     the snapshot of the workflow taken when the run was requested (a re-registration does not
 *                     change a run already started)
 * @param status       running, completed, failed or cancelled (never pending: the engine stores a run once started)
 * @param currentState the state entered last (while running: the state whose work is pending)
 * @param step         number of state entries so far, the {@code step} of the last {@code state_entered}
 * @param blackboard   the run's blackboard (layout in {@code WorkflowTemplates})
 * @param pending      the work the current state waits for, null when the run has ended
 * @param startedAt    when the engine started the run (its clock)
 * @param requestedAt  the start command's {@code requested_at} (the ingress's clock), null when it had none or the
 *                     run was stored before this field existed; the engine's purge remembers the newest one it
 *                     purged, so that a start command read again after its run was purged is recognised
 *                     ({@link WorkflowEngineTopology})
 */
public record WorkflowState(String workflowExecutionId, WorkflowRecord workflow, WorkflowStatus status,
                            String currentState, int step, ObjectNode blackboard, Pending pending, Instant startedAt,
                            Instant requestedAt) {

    public boolean running() {
        return status == WorkflowStatus.RUNNING;
    }

    /**
     * The work a state started and waits for. Only an input naming this work (same step, same execution or approval
     * id, and not of a superseded run attempt) moves the run on; anything else is late, repeated or foreign and
     * ignored.
     *
     * @param kind        {@link #AGENT}, {@link #HUMAN} or {@link #CONTAINER}
     * @param executionId Agent and ContainerRun states: the execution requested
     * @param approvalId  Human states: the approval requested
     * @param step        the step that started the work
     * @param attempt     the newest run attempt of the execution a worker has announced; null (stored before
     *                    attempts existed, or none announced) is the first
     */
    public record Pending(String kind, String executionId, String approvalId, int step, Integer attempt) {

        public static final String AGENT = "agent";
        public static final String HUMAN = "human";
        public static final String CONTAINER = "container";

        /** Work just started: its first attempt. */
        public Pending(String kind, String executionId, String approvalId, int step) {
            this(kind, executionId, approvalId, step, null);
        }

        /** {@link #attempt()}, an absent one read as the first. */
        public int attemptNumber() {
            return attempt == null || attempt < 1 ? 1 : attempt;
        }

        /** The same work, now run as attempt {@code newest}. */
        public Pending withAttempt(int newest) {
            return new Pending(kind, executionId, approvalId, step, newest);
        }
    }
}
