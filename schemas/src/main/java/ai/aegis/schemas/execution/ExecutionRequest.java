package ai.aegis.schemas.execution;

import ai.aegis.schemas.agent.AgentRecord;
import ai.aegis.schemas.topic.CloudEventHeaders;
import com.fasterxml.jackson.databind.JsonNode;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;

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

    /**
     * An agent execution with a snapshot of the agent: one requested through the API, or a judge (with
     * {@link Builder#setParentExecutionId}).
     */
    public static Builder forAgent(AgentRecord agent) {
        return new Builder().setAgent(Objects.requireNonNull(agent, "agent"));
    }

    /** A workflow step that names its agent (a name or an id); the worker resolves it when the step starts. */
    public static Builder forWorkflowStep(WorkflowLink workflow, String agentName) {
        return new Builder().setWorkflow(Objects.requireNonNull(workflow, "workflow"))
                .setAgentName(Objects.requireNonNull(agentName, "agentName"));
    }

    /** A workflow's ContainerRun state; its input is the command line, which is what a reader of the run sees. */
    public static Builder forContainerRun(WorkflowLink workflow, ContainerRun run) {
        return new Builder().setWorkflow(Objects.requireNonNull(workflow, "workflow"))
                .setContainerRun(Objects.requireNonNull(run, "run"))
                .setInput(run.command() == null ? null : String.join(" ", run.command()));
    }

    /** A builder with every field unset, for requests that are none of the kinds above (tests of readers). */
    public static Builder newBuilder() {
        return new Builder();
    }

    /** A builder that starts from this request. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /**
     * Builds an {@link ExecutionRequest}. An execution id and a request time are required; everything else is
     * absent (null, and left out of the JSON) unless set. Not thread-safe.
     */
    public static final class Builder {

        private String executionId;
        private String agentId;
        private String input;
        private JsonNode contextOverrides;
        private AgentRecord agent;
        private String parentExecutionId;
        private Instant requestedAt;
        private String agentName;
        private WorkflowLink workflow;
        private ContainerRun containerRun;

        private Builder() {
        }

        private Builder(ExecutionRequest r) {
            executionId = r.executionId;
            agentId = r.agentId;
            input = r.input;
            contextOverrides = r.contextOverrides;
            agent = r.agent;
            parentExecutionId = r.parentExecutionId;
            requestedAt = r.requestedAt;
            agentName = r.agentName;
            workflow = r.workflow;
            containerRun = r.containerRun;
        }

        public Builder setExecutionId(String executionId) {
            this.executionId = executionId;
            return this;
        }

        /** Set by {@link #setAgent} from the snapshot; on its own only for a request that carries no snapshot. */
        public Builder setAgentId(String agentId) {
            this.agentId = agentId;
            return this;
        }

        public Builder setInput(String input) {
            this.input = input;
            return this;
        }

        /** Extra template variables for the prompt (a JSON object). */
        public Builder setContextOverrides(JsonNode contextOverrides) {
            this.contextOverrides = contextOverrides;
            return this;
        }

        /** The agent snapshot; the agent id is the snapshot's. */
        public Builder setAgent(AgentRecord agent) {
            this.agent = agent;
            this.agentId = agent == null ? null : agent.id();
            return this;
        }

        public Builder setParentExecutionId(String parentExecutionId) {
            this.parentExecutionId = parentExecutionId;
            return this;
        }

        public Builder setRequestedAt(Instant requestedAt) {
            this.requestedAt = requestedAt;
            return this;
        }

        public Builder setAgentName(String agentName) {
            this.agentName = agentName;
            return this;
        }

        public Builder setWorkflow(WorkflowLink workflow) {
            this.workflow = workflow;
            return this;
        }

        public Builder setContainerRun(ContainerRun containerRun) {
            this.containerRun = containerRun;
            return this;
        }

        /** @throws NullPointerException without an execution id or a request time */
        public ExecutionRequest build() {
            Objects.requireNonNull(executionId, "executionId");
            Objects.requireNonNull(requestedAt, "requestedAt");
            return new ExecutionRequest(executionId, agentId, input, contextOverrides, agent, parentExecutionId,
                    requestedAt, agentName, workflow, containerRun);
        }
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
