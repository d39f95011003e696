package ai.aegis.ingress.workflows;

import ai.aegis.http.BadRequest;
import ai.aegis.http.JsonBodies;
import ai.aegis.ingress.registry.RegistryWriter;
import ai.aegis.schemas.Ids;
import ai.aegis.schemas.agent.ManifestException;
import ai.aegis.schemas.json.Json;
import ai.aegis.schemas.workflow.WorkflowCommand;
import ai.aegis.schemas.workflow.WorkflowManifest;
import ai.aegis.schemas.workflow.WorkflowManifests;
import ai.aegis.schemas.workflow.WorkflowRecord;
import ai.aegis.topology.agents.AgentRegistryView;
import ai.aegis.topology.kafka.DurablePublisher;
import ai.aegis.topology.kafka.RecordPublisher;
import ai.aegis.topology.workflow.WorkflowExecutionView;
import ai.aegis.topology.workflow.WorkflowReadModel;
import ai.aegis.topology.workflow.WorkflowRegistryView;
import com.fasterxml.jackson.databind.JsonNode;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Registers workflows (compacted registry topic, keyed by name), starts and cancels their runs (workflow commands
 * topic), each answered once durable. The workflow engine does the rest.
 */
public final class WorkflowService {

    private final RegistryWriter registry;
    private final WorkflowRegistryView workflows;
    private final AgentRegistryView agents;
    private final WorkflowReadModel executions;
    private final RecordPublisher publisher;
    private final String commandsTopic;

    public WorkflowService(RegistryWriter registry, WorkflowRegistryView workflows, AgentRegistryView agents,
                           WorkflowReadModel executions, RecordPublisher publisher, String commandsTopic) {
        this.registry = registry;
        this.workflows = workflows;
        this.agents = agents;
        this.executions = executions;
        this.publisher = publisher;
        this.commandsTopic = commandsTopic;
    }

    /** What a registration did. */
    public record Registration(WorkflowRecord workflow, boolean created) {
    }

    /**
     * Validates and registers a workflow. Every agent it names must be deployed now (a workflow naming an agent
     * that is deleted later fails that state's run with a clear reason).
     */
    public Registration register(String yaml, boolean force) throws DurablePublisher.UnavailableException {
        WorkflowManifests.ParsedWorkflow parsed = WorkflowManifests.parse(yaml);
        WorkflowManifest m = parsed.manifest();
        List<ManifestException.Problem> unknown = new ArrayList<>();
        for (WorkflowManifest.State state : m.spec().states().values()) {
            if (state instanceof WorkflowManifest.AgentState agent && !agentExists(agent.agent())) {
                unknown.add(new ManifestException.Problem("spec.states." + state.name() + ".agent",
                        "agent '" + agent.agent() + "' is not deployed"));
            }
        }
        if (!unknown.isEmpty()) {
            throw new ManifestException(unknown);
        }
        Optional<WorkflowRecord> existing = workflows.get(m.name());
        if (existing.isPresent() && existing.get().version().equals(m.metadata().version()) && !force) {
            throw new BadRequest(409, "Workflow '" + m.name() + "' version " + m.metadata().version()
                    + " is already registered; use ?force=true to register it again");
        }
        Instant now = Json.now();
        WorkflowRecord record = new WorkflowRecord(m.name(), m.metadata().version(), m.metadata().description(),
                parsed.tree(), yaml, existing.map(WorkflowRecord::createdAt).orElse(now), now);
        registry.write(record.name(), Json.writeBytes(record), WorkflowRecord.CE_REGISTERED);
        return new Registration(record, existing.isEmpty());
    }

    private boolean agentExists(String nameOrId) {
        return (Ids.isUuid(nameOrId) && agents.get(nameOrId.toLowerCase()).isPresent())
                || agents.byName(nameOrId).isPresent();
    }

    public boolean delete(String name) throws DurablePublisher.UnavailableException {
        if (workflows.get(name).isEmpty()) {
            return false;
        }
        registry.write(name, null, WorkflowRecord.CE_DELETED);
        return true;
    }

    /** Starts a run: {@code {"input": <string or JSON>, "blackboard": {..}?}}. */
    public String run(String name, String body) throws DurablePublisher.UnavailableException {
        WorkflowRecord workflow = workflows.get(name)
                .orElseThrow(() -> new BadRequest(404, "Workflow not found"));
        JsonNode json = body == null || body.isBlank() ? Json.object() : JsonBodies.object(body);
        JsonNode inputNode = json.get("input");
        String input = inputNode == null || inputNode.isNull() ? ""
                : inputNode.isTextual() ? inputNode.asText() : inputNode.toString();
        JsonNode blackboard = JsonBodies.optionalObject(json, "blackboard");
        String id = UUID.randomUUID().toString();
        WorkflowCommand command = WorkflowCommand.start(id, workflow, input, blackboard, Json.now());
        publisher.publish(commandsTopic, id, Json.writeBytes(command), WorkflowCommand.CE_START_REQUESTED);
        executions.onCommand(command);
        return id;
    }

    /** Cancels a run; waits (bounded) until the engine has ended it. */
    public WorkflowExecutionView cancel(String id, Duration wait) throws DurablePublisher.UnavailableException {
        WorkflowExecutionView view = executions.view(id)
                .orElseThrow(() -> new BadRequest(404, "Workflow execution not found"));
        if (view.terminal()) {
            throw new BadRequest(409, "Workflow execution already " + view.status().wireName()
                    + "; only pending or running workflow executions can be cancelled");
        }
        publisher.publish(commandsTopic, id, Json.writeBytes(WorkflowCommand.cancel(id, Json.now())),
                WorkflowCommand.CE_CANCEL_REQUESTED);
        return executions.awaitView(id, WorkflowExecutionView::terminal, wait).orElse(view);
    }
}
