package ai.aegis.worker.smcp.mcp;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/** Resolves {@code env:VAR} values against the worker's environment; errors name the variable, never a value. */
final class EnvReferences {

    static final String PREFIX = "env:";

    private EnvReferences() {
    }

    /** The variable a value refers to, or null for a literal value. */
    static String variable(String value) {
        return value.startsWith(PREFIX) ? value.substring(PREFIX.length()).strip() : null;
    }

    /**
     * @param what for the error message, e.g. {@code "MCP server 'notes' env"}
     * @throws McpException (UNAVAILABLE) naming the first referenced variable that is not set
     */
    static Map<String, String> resolve(Map<String, String> values, Function<String, String> env, String what)
            throws McpException {
        Map<String, String> resolved = new LinkedHashMap<>();
        for (Map.Entry<String, String> entry : values.entrySet()) {
            String variable = variable(entry.getValue());
            String value = variable == null ? entry.getValue() : env.apply(variable);
            if (value == null) {
                throw new McpException(McpException.Kind.UNAVAILABLE, what + " " + entry.getKey()
                        + " refers to environment variable " + variable + ", which is not set");
            }
            resolved.put(entry.getKey(), value);
        }
        return resolved;
    }
}
