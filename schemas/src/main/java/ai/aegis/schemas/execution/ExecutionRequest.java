package ai.aegis.schemas.execution;

import ai.aegis.schemas.agent.AgentRecord;
import com.fasterxml.jackson.databind.JsonNode;

import java.time.Instant;

/**
 * A request to run an agent, as the ingress publishes it once the API accepted it. It carries a snapshot of the
 * agent as deployed at request time, so a worker needs no registry lookup and a redeploy does not change an
 * execution already requested.
 *
 * @param contextOverrides extra template variables for the prompt, may be null
 * @param parentExecutionId set for child executions (judges), null otherwise
 */
public record ExecutionRequest(String executionId, String agentId, String input, JsonNode contextOverrides,
                               AgentRecord agent, String parentExecutionId, Instant requestedAt) {
}
