package ai.aegis.worker.smcp.mcp;

import java.util.Objects;

/** A failed MCP exchange; {@link #kind()} says whether retrying, fixing the server or fixing the call helps. */
public final class McpException extends Exception {

    /** JSON-RPC "invalid params", what MCP servers answer for an unknown tool; used for unknown qualified names. */
    public static final int INVALID_PARAMS = -32602;

    public enum Kind {
        /** The server could not be started or reached, died, or did not answer in time. */
        UNAVAILABLE,
        /** The server answered something that is not a usable MCP message (malformed, oversized, wrong shape). */
        PROTOCOL,
        /** The server answered with a JSON-RPC error object; {@link #code()} and the message are the server's. */
        TOOL_ERROR
    }

    private final Kind kind;
    private final Integer code;

    public McpException(Kind kind, String message) {
        this(kind, null, message, null);
    }

    public McpException(Kind kind, String message, Throwable cause) {
        this(kind, null, message, cause);
    }

    public McpException(Kind kind, Integer code, String message, Throwable cause) {
        super(message, cause);
        this.kind = Objects.requireNonNull(kind, "kind");
        this.code = code;
    }

    static McpException toolError(int code, String message) {
        return new McpException(Kind.TOOL_ERROR, code, message, null);
    }

    public Kind kind() {
        return kind;
    }

    /** The JSON-RPC error code for {@link Kind#TOOL_ERROR}, else null. */
    public Integer code() {
        return code;
    }
}
