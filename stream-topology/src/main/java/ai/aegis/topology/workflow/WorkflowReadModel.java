package ai.aegis.topology.workflow;

import ai.aegis.schemas.workflow.WorkflowCommand;
import ai.aegis.schemas.workflow.WorkflowEvent;
import ai.aegis.topology.readmodel.EventReadModel;
import ai.aegis.topology.serde.WireReaders;

import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.function.Predicate;

/** The node's view of workflow executions: folded from the workflow command and event topics. */
public final class WorkflowReadModel
        extends EventReadModel<WorkflowEvent, WorkflowExecutionState, WorkflowExecutionView> {

    public static final Comparator<WorkflowExecutionView> NEWEST_FIRST = Comparator.comparing(
            (WorkflowExecutionView v) -> v.requestedAt() != null ? v.requestedAt()
                    : v.startedAt() != null ? v.startedAt() : Instant.EPOCH).reversed();

    public WorkflowReadModel(Limits limits) {
        super(limits, WorkflowExecutionState::new, WireReaders.WORKFLOW_EVENT::read,
                WorkflowEvent::terminal);
    }

    public void onCommand(WorkflowCommand command) {
        update(command.workflowExecutionId(), state -> state.apply(command));
    }

    public List<WorkflowExecutionView> list(Predicate<WorkflowExecutionView> filter, int limit) {
        return list(filter, NEWEST_FIRST, limit);
    }
}
