package ai.aegis.schemas.execution;

import ai.aegis.schemas.agent.AgentRecord;
import ai.aegis.schemas.topic.CloudEventHeaders;
import com.fasterxml.jackson.databind.JsonNode;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A request to run an agent (or, for a workflow's ContainerRun state, a single container). The ingress publishes it
 * once the API accepted it, with a snapshot of the agent as deployed at request time, so a worker needs no registry
 * lookup and a redeploy does not change an execution already requested. The workflow engine may instead name the
 * agent ({@code agent_name}, a name or an id) and leave {@code agent} null: the worker resolves it when it starts.
 *
 * @param contextOverrides  extra template variables for the prompt, may be null
 * @param parentExecutionId set for child executions (judges), null otherwise
 * @param agentName         with {@code agent} null: the agent to resolve (name or id)
 * @param workflow          set when a workflow started this execution: the worker reports the end to it
 * @param containerRun      set for a workflow's ContainerRun state: run this container instead of an agent
 */
public record ExecutionRequest(String executionId, String agentId, String input, JsonNode contextOverrides,
                               AgentRecord agent, String parentExecutionId, Instant requestedAt, String agentName,
                               WorkflowLink workflow, ContainerRun containerRun) {

    /** {@code ce_type} of every request, whoever asks (the ingress, the workflow engine). */
    public static final String CE_TYPE = CloudEventHeaders.type("execution", "execution_requested");

    /** An execution requested through the API: an agent snapshot, no workflow. */
    public ExecutionRequest(String executionId, String agentId, String input, JsonNode contextOverrides,
                            AgentRecord agent, String parentExecutionId, Instant requestedAt) {
        this(executionId, agentId, input, contextOverrides, agent, parentExecutionId, requestedAt, null, null, null);
    }

    /** The workflow step an execution belongs to. */
    public record WorkflowLink(String workflowExecutionId, int step, String stateName) {
    }

    /**
     * A single container run: the image, the argument vector, its environment and limits.
     *
     * @param timeoutSeconds wall-clock limit of the run
     */
    public record ContainerRun(String image, List<String> command, Map<String, String> env, long cpuMillicores,
                               long memoryBytes, long timeoutSeconds, boolean network) {
    }
}
