package ai.aegis.ingress;

import ai.aegis.schemas.topic.TopicCatalog;
import ai.aegis.topology.agents.AgentRegistryView;
import ai.aegis.topology.executions.ExecutionReadModel;
import ai.aegis.topology.executions.ExecutionView;
import ai.aegis.topology.readmodel.EventReadModel;
import ai.aegis.topology.readmodel.ViewArchive;
import ai.aegis.topology.stimulus.StimulusReadModel;
import ai.aegis.topology.stimulus.StimulusRoutingTable;
import ai.aegis.topology.workflow.WorkflowExecutionView;
import ai.aegis.topology.serde.WireReaders;
import ai.aegis.topology.tail.TopicTail;
import ai.aegis.topology.workflow.WorkflowReadModel;
import ai.aegis.topology.workflow.WorkflowRegistryView;
import org.apache.kafka.clients.consumer.ConsumerRecord;

import java.util.List;

/**
 * The node's in-process views of the topics it serves: the agent and workflow registries, the executions, the
 * workflow runs and the stimulus routes. One {@link TopicTail} feeds them every record of {@link #topics()}; tests feed them directly.
 */
public final class IngressViews implements TopicTail.RecordHandler {

    private final AgentRegistryView agents = new AgentRegistryView();
    private final ExecutionReadModel executions;
    private final WorkflowRegistryView workflows = new WorkflowRegistryView();
    private final WorkflowReadModel workflowRuns;
    private final StimulusRoutingTable stimulusRoutes = new StimulusRoutingTable();
    private final StimulusReadModel stimuli;
    private final String stimulusRequestsTopic;
    private final String stimulusOutcomesTopic;
    private final String agentsTopic;
    private final String stimulusRoutesTopic;
    private final String stimulusRouterTopic;
    private final String requestsTopic;
    private final String eventsTopic;
    private final String workflowsTopic;
    private final String workflowCommandsTopic;
    private final String workflowEventsTopic;

    /** Views that forget the finished aggregates past the limits (tests). */
    public IngressViews(TopicCatalog topics, EventReadModel.Limits limits) {
        this(topics, limits, null, null, IngressConfig.DEFAULT_STIMULI_IN_VIEW);
    }

    /**
     * @param limits           what the executions view and, separately, the workflow runs view may hold
     * @param executionArchive where finished executions past the limits stay answerable (null: forgotten)
     * @param runArchive       the same for workflow runs
     * @param stimuliInView    how many of the latest stimuli the stimulus view holds
     */
    public IngressViews(TopicCatalog topics, EventReadModel.Limits limits, ViewArchive<ExecutionView> executionArchive,
                        ViewArchive<WorkflowExecutionView> runArchive, int stimuliInView) {
        this.stimuli = new StimulusReadModel(stimuliInView);
        this.stimulusRequestsTopic = topics.stimulusRequests().name();
        this.stimulusOutcomesTopic = topics.stimulusOutcomes().name();
        this.executions = new ExecutionReadModel(limits, executionArchive);
        this.workflowRuns = new WorkflowReadModel(limits, runArchive);
        this.agentsTopic = topics.agents().name();
        this.requestsTopic = topics.executionRequests().name();
        this.eventsTopic = topics.executionEvents().name();
        this.workflowsTopic = topics.workflows().name();
        this.workflowCommandsTopic = topics.workflowCommands().name();
        this.workflowEventsTopic = topics.workflowEvents().name();
        this.stimulusRoutesTopic = topics.stimulusRoutes().name();
        this.stimulusRouterTopic = topics.stimulusRouter().name();
    }

    /** The topics the views are folded from. */
    public List<String> topics() {
        return List.of(agentsTopic, requestsTopic, eventsTopic, workflowsTopic, workflowCommandsTopic,
                workflowEventsTopic, stimulusRoutesTopic, stimulusRouterTopic);
    }

    /**
     * Folds one record into its view.
     *
     * @throws ai.aegis.topology.serde.MalformedRecordException when it is not a complete record of its topic (no key, a
     *                                                          tombstone where none is allowed, another shape): no
     *                                                          view changes, and the tail dead-letters it
     */
    @Override
    public void onRecord(ConsumerRecord<String, byte[]> record) {
        String topic = record.topic();
        if (topic.equals(agentsTopic)) {
            agents.onRecord(WireReaders.key(record), record.value());
        } else if (topic.equals(requestsTopic)) {
            executions.onRequest(WireReaders.EXECUTION_REQUEST.read(record.value()));
        } else if (topic.equals(eventsTopic)) {
            executions.onEvent(WireReaders.key(record), record.partition(), record.offset(), record.value());
        } else if (topic.equals(workflowsTopic)) {
            workflows.onRecord(WireReaders.key(record), record.value());
        } else if (topic.equals(workflowCommandsTopic)) {
            workflowRuns.onCommand(WireReaders.WORKFLOW_COMMAND.read(record.value()));
        } else if (topic.equals(workflowEventsTopic)) {
            workflowRuns.onEvent(WireReaders.key(record), record.partition(), record.offset(), record.value());
        } else if (topic.equals(stimulusRoutesTopic)) {
            stimulusRoutes.onRecord(WireReaders.key(record), record.value());
        } else if (topic.equals(stimulusRouterTopic)) {
            stimulusRoutes.onRouterRecord(WireReaders.key(record), record.value());
        } else {
            throw new IllegalArgumentException("not a topic of the views: " + topic);
        }
    }

    /**
     * The topics of the stimulus view, which its own tail reads (only their latest records, {@link #stimuli()} being
     * bounded) with {@link #onStimulusRecord}.
     */
    public List<String> stimulusTopics() {
        return List.of(stimulusRequestsTopic, stimulusOutcomesTopic);
    }

    /**
     * Folds one record of {@link #stimulusTopics()} into the stimulus view.
     *
     * @throws ai.aegis.topology.serde.MalformedRecordException when it is not a complete request or outcome
     */
    public void onStimulusRecord(ConsumerRecord<String, byte[]> record) {
        if (record.topic().equals(stimulusRequestsTopic)) {
            stimuli.onRequest(WireReaders.STIMULUS_REQUEST.read(record.value()), record.partition(), record.offset());
        } else if (record.topic().equals(stimulusOutcomesTopic)) {
            stimuli.onOutcome(WireReaders.STIMULUS_OUTCOME.read(record.value()));
        } else {
            throw new IllegalArgumentException("not a topic of the stimulus view: " + record.topic());
        }
    }

    public StimulusReadModel stimuli() {
        return stimuli;
    }

    /** The topic the executions view folds events from (where their history is read back). */
    public String executionEventsTopic() {
        return eventsTopic;
    }

    /** The topic the workflow runs view folds events from. */
    public String workflowEventsTopic() {
        return workflowEventsTopic;
    }

    public AgentRegistryView agents() {
        return agents;
    }

    public ExecutionReadModel executions() {
        return executions;
    }

    public WorkflowRegistryView workflows() {
        return workflows;
    }

    public WorkflowReadModel workflowRuns() {
        return workflowRuns;
    }

    public StimulusRoutingTable stimulusRoutes() {
        return stimulusRoutes;
    }
}
