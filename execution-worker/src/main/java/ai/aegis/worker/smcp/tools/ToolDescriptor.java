package ai.aegis.worker.smcp.tools;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A tool as it is offered to a model and listed by {@code GET /v1/smcp/tools}.
 *
 * @param name        what the model calls and policies match: {@code cmd.run}, {@code fs.read}, {@code notes.add_note}
 * @param description for the model
 * @param inputSchema the JSON Schema of its arguments
 * @param source      {@code builtin}, or {@code mcp:<server>}
 */
public record ToolDescriptor(String name, String description, JsonNode inputSchema, String source) {

    public static final String BUILTIN = "builtin";

    public boolean builtin() {
        return BUILTIN.equals(source);
    }
}
