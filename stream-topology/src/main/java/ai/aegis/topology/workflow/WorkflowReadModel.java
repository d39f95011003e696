package ai.aegis.topology.workflow;

import ai.aegis.schemas.workflow.WorkflowCommand;
import ai.aegis.schemas.workflow.WorkflowEvent;
import ai.aegis.topology.readmodel.EventReadModel;
import ai.aegis.topology.readmodel.ViewArchive;
import ai.aegis.topology.serde.WireReaders;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/** The node's view of workflow executions: folded from the workflow command and event topics. */
public final class WorkflowReadModel
        extends EventReadModel<WorkflowEvent, WorkflowExecutionState, WorkflowExecutionView> {

    public static final Comparator<WorkflowExecutionView> NEWEST_FIRST = Comparator.comparing(
            (WorkflowExecutionView v) -> v.requestedAt() != null ? v.requestedAt()
                    : v.startedAt() != null ? v.startedAt() : Instant.EPOCH).reversed();

    public WorkflowReadModel(Limits limits) {
        this(limits, null);
    }

    /** @param archive where finished workflow executions past the limit are kept (null: forgotten) */
    public WorkflowReadModel(Limits limits, ViewArchive<WorkflowExecutionView> archive) {
        super(limits, WorkflowExecutionState::new, WireReaders.WORKFLOW_EVENT::read, WorkflowEvent::terminal,
                archive);
    }

    public void onCommand(WorkflowCommand command) {
        update(command.workflowExecutionId(), state -> state.apply(command));
    }

    /**
     * The workflow executions in memory with that status and of that workflow (either may be empty), newest first.
     *
     * @param status a status's wire name
     */
    public List<WorkflowExecutionView> list(Optional<String> status, Optional<String> workflowName, int limit) {
        List<String> facets = new ArrayList<>(2);
        status.ifPresent(st -> facets.add(WorkflowExecutionState.STATUS + st));
        workflowName.ifPresent(n -> facets.add(WorkflowExecutionState.WORKFLOW + n));
        return list(facets, NEWEST_FIRST, limit);
    }
}
