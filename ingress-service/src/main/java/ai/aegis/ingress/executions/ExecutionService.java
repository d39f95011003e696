package ai.aegis.ingress.executions;

import ai.aegis.http.BadRequest;
import ai.aegis.http.JsonBodies;
import ai.aegis.schemas.Ids;
import ai.aegis.schemas.agent.AgentRecord;
import ai.aegis.schemas.execution.ExecutionCommand;
import ai.aegis.schemas.execution.ExecutionRequest;
import ai.aegis.schemas.json.Json;
import ai.aegis.topology.agents.AgentRegistryView;
import ai.aegis.topology.executions.ExecutionReadModel;
import ai.aegis.topology.executions.ExecutionView;
import ai.aegis.topology.kafka.DurablePublisher;
import ai.aegis.topology.kafka.RecordPublisher;
import com.fasterxml.jackson.databind.JsonNode;

import java.util.UUID;

/**
 * Accepts execution requests: validates them, snapshots the agent, and answers only once the request is durable
 * in Kafka. The node folds its own request into its view at once, so a GET right after the POST finds it.
 */
public final class ExecutionService {

    public static final String CANCEL_TYPE = ExecutionCommand.CE_CANCEL_REQUESTED;

    private final RecordPublisher publisher;
    private final AgentRegistryView agents;
    private final ExecutionReadModel readModel;
    private final String topic;
    private final String commandsTopic;
    private final ExecutionAdmission admission;

    public ExecutionService(RecordPublisher publisher, AgentRegistryView agents, ExecutionReadModel readModel,
                            String topic, String commandsTopic, ExecutionAdmission admission) {
        this.admission = admission;
        this.publisher = publisher;
        this.agents = agents;
        this.readModel = readModel;
        this.topic = topic;
        this.commandsTopic = commandsTopic;
    }

    /**
     * Asks the worker running an execution to cancel it, and waits (bounded) until the execution ended.
     *
     * @return the view after the wait: {@code cancelled}, another terminal status if it ended first, or still
     *         running when the worker has not answered yet
     */
    public ExecutionView cancel(String executionId, java.time.Duration wait) throws DurablePublisher.UnavailableException {
        ExecutionView view = readModel.view(executionId).orElseThrow(() -> new BadRequest(404, "Execution not found"));
        if (view.terminal()) {
            throw new BadRequest(409, "Execution already " + view.status().wireName().replace('_', ' ')
                    + "; only pending or running executions can be cancelled");
        }
        ExecutionCommand command = new ExecutionCommand(ExecutionCommand.CANCEL, executionId, "cancelled by a user",
                Json.now());
        publisher.publish(commandsTopic, executionId, Json.writeBytes(command), CANCEL_TYPE);
        return readModel.awaitView(executionId, ExecutionView::terminal, wait).orElse(view);
    }

    /**
     * @return the new execution id
     * @throws ExecutionAdmission.RefusedException when the workers' backlog is full (nothing is published)
     */
    public String start(String body) throws DurablePublisher.UnavailableException {
        JsonNode json = JsonBodies.object(body);
        JsonNode agentId = json.get("agent_id");
        if (agentId == null || !agentId.isTextual() || !Ids.isUuid(agentId.asText())) {
            throw new BadRequest("Invalid agent ID");
        }
        JsonNode inputNode = json.get("input");
        if (inputNode == null || inputNode.isNull()) {
            throw new BadRequest("Missing required field 'input'");
        }
        // The reference types input as a string; structured input is accepted as its JSON text.
        String input = inputNode.isTextual() ? inputNode.asText() : inputNode.toString();
        JsonNode overrides = JsonBodies.optionalObject(json, "context_overrides");
        AgentRecord agent = agents.get(agentId.asText().toLowerCase())
                .orElseThrow(() -> new BadRequest(404, "Agent not found"));
        admission.check(readModel, agent.id()).ifPresent(refusal -> {
            throw new ExecutionAdmission.RefusedException(refusal);
        });
        ExecutionRequest request = ExecutionRequest.forAgent(agent)
                .setExecutionId(UUID.randomUUID().toString())
                .setInput(input)
                .setContextOverrides(overrides)
                .setRequestedAt(Json.now())
                .build();
        publisher.publish(topic, request.executionId(), Json.writeBytes(request), ExecutionRequest.CE_TYPE);
        readModel.onRequest(request);
        return request.executionId();
    }
}
