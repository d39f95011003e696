package ai.aegis.worker.llm;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A tool call the model asked for.
 *
 * @param arguments the arguments as a JSON object (providers that send a JSON string have it parsed)
 */
public record ToolCallRequest(String id, String name, JsonNode arguments) {
}
