package ai.aegis.topology.workflow;

import ai.aegis.schemas.workflow.WorkflowCommand;
import ai.aegis.schemas.workflow.WorkflowEvent;
import ai.aegis.schemas.workflow.WorkflowStatus;
import ai.aegis.topology.readmodel.EventReadModel;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/** Folds a workflow execution's start command and events into its view; a terminal status is never overwritten. */
public final class WorkflowExecutionState implements EventReadModel.Aggregate<WorkflowEvent, WorkflowExecutionView> {

    /** Facet prefixes: {@code status:<wire name>}, {@code workflow:<name>}. */
    static final String STATUS = "status:";
    static final String WORKFLOW = "workflow:";


    private final String id;
    private String workflowName;
    private String workflowVersion;
    private WorkflowStatus status = WorkflowStatus.PENDING;
    private String currentState;
    private Integer step;
    private String input;
    private final Map<String, JsonNode> stateOutputs = new LinkedHashMap<>();
    private JsonNode blackboard;
    private String pendingApproval;
    private String error;
    private Instant requestedAt;
    private Instant startedAt;
    private Instant endedAt;
    private Instant lastTransitionAt;

    public WorkflowExecutionState(String id) {
        this.id = id;
    }

    public void apply(WorkflowCommand command) {
        if (WorkflowCommand.START.equals(command.command()) && command.workflow() != null) {
            workflowName = command.workflow().name();
            workflowVersion = command.workflow().version();
            input = command.input();
            requestedAt = command.requestedAt();
        }
    }

    @Override
    public void apply(WorkflowEvent event) {
        if (terminal()) {
            return;
        }
        switch (event) {
            case WorkflowEvent.WorkflowStarted e -> {
                workflowName = e.workflowName();
                workflowVersion = e.workflowVersion();
                input = e.input();
                startedAt = e.startedAt();
                status = WorkflowStatus.RUNNING;
            }
            case WorkflowEvent.StateEntered e -> {
                currentState = e.stateName();
                step = e.step();
                lastTransitionAt = e.enteredAt();
                status = WorkflowStatus.RUNNING;
            }
            case WorkflowEvent.StateExited e -> {
                stateOutputs.put(e.stateName(), e.output() == null ? NullNode.getInstance() : e.output());
                pendingApproval = null;
                lastTransitionAt = e.exitedAt();
            }
            case WorkflowEvent.ApprovalRequested e -> pendingApproval = e.approvalId();
            case WorkflowEvent.WorkflowCompleted e -> {
                status = WorkflowStatus.COMPLETED;
                currentState = e.finalState();
                blackboard = e.blackboard();
                endedAt = e.completedAt();
            }
            case WorkflowEvent.WorkflowFailed e -> {
                status = WorkflowStatus.FAILED;
                error = e.reason();
                pendingApproval = null;
                endedAt = e.failedAt();
            }
            case WorkflowEvent.WorkflowCancelled e -> {
                status = WorkflowStatus.CANCELLED;
                error = e.reason();
                pendingApproval = null;
                endedAt = e.cancelledAt();
            }
        }
    }

    @Override
    public java.util.List<String> facets() {
        return workflowName == null ? java.util.List.of(STATUS + status.wireName())
                : java.util.List.of(STATUS + status.wireName(), WORKFLOW + workflowName);
    }

    @Override
    public boolean terminal() {
        return status.terminal();
    }

    @Override
    public WorkflowExecutionView view() {
        return new WorkflowExecutionView(id, workflowName, workflowVersion, status, currentState, step, input,
                java.util.Collections.unmodifiableMap(new LinkedHashMap<>(stateOutputs)), blackboard, pendingApproval, error, requestedAt, startedAt, endedAt,
                lastTransitionAt);
    }
}
