package ai.aegis.topology.serde;

import ai.aegis.schemas.agent.AgentRecord;
import ai.aegis.schemas.approval.ApprovalCommand;
import ai.aegis.schemas.approval.ApprovalDecision;
import ai.aegis.schemas.approval.ApprovalReply;
import ai.aegis.schemas.approval.ApprovalRequest;
import ai.aegis.schemas.deadletter.DeadLetter;
import ai.aegis.schemas.execution.ExecutionCommand;
import ai.aegis.schemas.execution.ExecutionEvent;
import ai.aegis.schemas.execution.ExecutionRequest;
import ai.aegis.schemas.stimulus.StimulusOutcome;
import ai.aegis.schemas.stimulus.StimulusReply;
import ai.aegis.schemas.stimulus.StimulusRequest;
import ai.aegis.schemas.workflow.WorkflowCommand;
import ai.aegis.schemas.workflow.WorkflowEvent;
import ai.aegis.schemas.workflow.WorkflowRecord;
import ai.aegis.schemas.workflow.WorkflowStepResult;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The strict reader of every record the system consumes, in one place: which fields a consumer cannot do without.
 * They are the fields the folds and rules use to find and apply a record (ids, the command, the time a deadline is
 * counted from); the JSON Schemas in {@code schemas} describe the rest for analysts.
 */
public final class WireReaders {

    public static final WireReader<AgentRecord> AGENT = WireReader.of(AgentRecord.class)
            .require("id", AgentRecord::id).require("name", AgentRecord::name);
    public static final WireReader<ExecutionRequest> EXECUTION_REQUEST = WireReader.of(ExecutionRequest.class)
            .require("execution_id", ExecutionRequest::executionId);
    public static final WireReader<ExecutionEvent> EXECUTION_EVENT = WireReader.of(ExecutionEvent.class)
            .require("execution_id", ExecutionEvent::executionId);
    public static final WireReader<ExecutionCommand> EXECUTION_COMMAND = WireReader.of(ExecutionCommand.class)
            .require("command", ExecutionCommand::command).require("execution_id", ExecutionCommand::executionId);
    public static final WireReader<WorkflowRecord> WORKFLOW = WireReader.of(WorkflowRecord.class)
            .require("name", WorkflowRecord::name);
    public static final WireReader<WorkflowCommand> WORKFLOW_COMMAND = WireReader.of(WorkflowCommand.class)
            .require("command", WorkflowCommand::command)
            .require("workflow_execution_id", WorkflowCommand::workflowExecutionId);
    public static final WireReader<WorkflowEvent> WORKFLOW_EVENT = WireReader.of(WorkflowEvent.class)
            .require("workflow_execution_id", WorkflowEvent::workflowExecutionId);
    public static final WireReader<WorkflowStepResult> WORKFLOW_STEP = WireReader.of(WorkflowStepResult.class)
            .require("workflow_execution_id", WorkflowStepResult::workflowExecutionId)
            .require("status", WorkflowStepResult::status);
    public static final WireReader<ApprovalRequest> APPROVAL_REQUEST = WireReader.of(ApprovalRequest.class)
            .require("id", ApprovalRequest::id).require("created_at", ApprovalRequest::createdAt);
    public static final WireReader<ApprovalCommand> APPROVAL_COMMAND = WireReader.of(ApprovalCommand.class)
            .require("command_id", ApprovalCommand::commandId).require("approval_id", ApprovalCommand::approvalId)
            .require("decision", ApprovalCommand::decision);
    public static final WireReader<ApprovalDecision> APPROVAL_DECISION = WireReader.of(ApprovalDecision.class)
            .require("approval_id", ApprovalDecision::approvalId)
            .require("workflow_execution_id", ApprovalDecision::workflowExecutionId);
    public static final WireReader<ApprovalReply> APPROVAL_REPLY = WireReader.of(ApprovalReply.class)
            .require("command_id", ApprovalReply::commandId);
    /** The content may be empty (an empty body), so it is not required; the key needs the source. */
    public static final WireReader<StimulusRequest> STIMULUS_REQUEST = WireReader.of(StimulusRequest.class)
            .require("stimulus_id", StimulusRequest::stimulusId).require("source", StimulusRequest::source);
    /** An outcome other than accepted, refused or duplicate reads as none (the enum's tolerant reader), and is refused. */
    public static final WireReader<StimulusOutcome> STIMULUS_OUTCOME = WireReader.of(StimulusOutcome.class)
            .require("dedup_key", StimulusOutcome::dedupKey).require("stimulus_id", StimulusOutcome::stimulusId)
            .require("outcome", o -> o.outcome() != null && o.outcome().outcomeRecord() ? o.outcome() : null);
    public static final WireReader<StimulusReply> STIMULUS_REPLY = WireReader.of(StimulusReply.class)
            .require("correlation_id", StimulusReply::correlationId).require("outcome", StimulusReply::outcome);

    public static final WireReader<ai.aegis.schemas.stimulus.StimulusRoute> STIMULUS_ROUTE =
            WireReader.of(ai.aegis.schemas.stimulus.StimulusRoute.class)
                    .require("source", ai.aegis.schemas.stimulus.StimulusRoute::source)
                    .require("workflow", ai.aegis.schemas.stimulus.StimulusRoute::workflow);

    public static final WireReader<ai.aegis.schemas.stimulus.StimulusRouter> STIMULUS_ROUTER =
            WireReader.of(ai.aegis.schemas.stimulus.StimulusRouter.class)
                    .require("agent_id", ai.aegis.schemas.stimulus.StimulusRouter::agentId);

    public static final WireReader<ai.aegis.schemas.smcp.SmcpSession> SMCP_SESSION =
            WireReader.of(ai.aegis.schemas.smcp.SmcpSession.class)
                    .require("session_id", ai.aegis.schemas.smcp.SmcpSession::sessionId)
                    .require("status", ai.aegis.schemas.smcp.SmcpSession::status);
    public static final WireReader<ai.aegis.schemas.smcp.SmcpSigningKey> SMCP_SIGNING_KEY =
            WireReader.of(ai.aegis.schemas.smcp.SmcpSigningKey.class)
                    .require("key_id", ai.aegis.schemas.smcp.SmcpSigningKey::keyId);

    public static final WireReader<ai.aegis.schemas.stimulus.StimulusClassification> STIMULUS_CLASSIFICATION =
            WireReader.of(ai.aegis.schemas.stimulus.StimulusClassification.class)
                    .require("execution_id", ai.aegis.schemas.stimulus.StimulusClassification::executionId)
                    .require("stimulus.stimulus_id", c -> c.stimulus().stimulusId())
                    .require("stimulus.source", c -> c.stimulus().source());

    public static final WireReader<DeadLetter> DEAD_LETTER = WireReader.of(DeadLetter.class)
            .require("source_topic", DeadLetter::sourceTopic).require("consumer", DeadLetter::consumer)
            .require("error_class", DeadLetter::errorClass).require("failed_at", DeadLetter::failedAt);

    private WireReaders() {
    }

    /**
     * The key of a record on a topic keyed by an id, which every topic of the system is.
     *
     * @throws MalformedRecordException when it has none
     */
    public static String key(ConsumerRecord<String, byte[]> record) {
        return requireKey(record.key());
    }

    /** Record keys for Kafka Streams sources: text, and never missing (a keyless record is dead-lettered). */
    public static Serde<String> requiredKey() {
        StringDeserializer text = new StringDeserializer();
        Deserializer<String> strict = (topic, bytes) -> requireKey(text.deserialize(topic, bytes));
        return Serdes.serdeFrom(new StringSerializer(), strict);
    }

    private static String requireKey(String key) {
        if (key == null || key.isBlank()) {
            throw new MalformedRecordException("a record without a key on a topic keyed by id");
        }
        return key;
    }
}
