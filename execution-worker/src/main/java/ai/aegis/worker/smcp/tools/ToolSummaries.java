package ai.aegis.worker.smcp.tools;

import ai.aegis.schemas.json.Json;
import com.fasterxml.jackson.databind.JsonNode;

/** The short text a {@code tool_call} event carries about a result (at most {@value #MAX} characters). */
public final class ToolSummaries {

    public static final int MAX = 500;

    private ToolSummaries() {
    }

    /** A command's: its exit code, stdout and stderr. */
    public static String ofCommand(int exitCode, String stdout, String stderr) {
        String out = stdout.strip();
        String err = stderr.strip();
        return cut("exit " + exitCode + (out.isEmpty() ? "" : ": " + out) + (err.isEmpty() ? "" : " [stderr: " + err
                + "]"));
    }

    /** A JSON result's: the text parts of an MCP result ({@code [error]} first when it is one), else its JSON. */
    public static String of(JsonNode result) {
        StringBuilder sb = new StringBuilder();
        if (result.path("isError").asBoolean(false)) {
            sb.append("[error] ");
        }
        for (JsonNode part : result.path("content")) {
            if ("text".equals(part.path("type").asText())) {
                sb.append(part.path("text").asText()).append(' ');
            }
            if (sb.length() > MAX) {
                break;
            }
        }
        return cut(sb.isEmpty() ? Json.write(result) : sb.toString().strip());
    }

    public static String cut(String text) {
        return text.length() > MAX ? text.substring(0, MAX - 3) + "..." : text;
    }
}
