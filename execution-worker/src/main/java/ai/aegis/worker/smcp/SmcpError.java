package ai.aegis.worker.smcp;

/**
 * How an SMCP invocation fails, with the HTTP status and JSON-RPC code of each (the reference's table, notes §8.7).
 * A policy refusal is {@link #POLICY_VIOLATION}, or {@link #RATE_LIMITED} for a rate limit.
 */
public enum SmcpError {

    /** The envelope is not what it must be (a field missing or of the wrong type, a protocol other than smcp/v1). */
    MALFORMED_ENVELOPE(400, -32600),
    /** The timestamp is more than the allowed skew from now, or the signature was seen before. */
    REPLAY_REFUSED(400, -32600),
    /** The token does not verify (signature, issuer, audience, expiry) or names no live session. */
    INVALID_TOKEN(401, -32000),
    /** The session's time is up, or its iteration ended. */
    SESSION_EXPIRED(401, -32000),
    /** The envelope's Ed25519 signature is not the session key's over the canonical bytes. */
    SIGNATURE_INVALID(401, -32000),
    SESSION_REVOKED(403, -32000),
    POLICY_VIOLATION(403, -32000),
    RATE_LIMITED(429, -32005),
    /** No such tool (neither built in nor offered by a configured MCP server). */
    TOOL_NOT_FOUND(404, -32001),
    /** The arguments do not match the tool's input schema. */
    INVALID_ARGUMENTS(422, -32602),
    /** The tool itself failed (an MCP server's error, or a server that cannot be reached). */
    TOOL_FAILED(500, -32603),
    /** The node cannot take the call now (the session could not be made durable, the replay cache is full). */
    UNAVAILABLE(503, -32603);

    private final int httpStatus;
    private final int jsonRpcCode;

    SmcpError(int httpStatus, int jsonRpcCode) {
        this.httpStatus = httpStatus;
        this.jsonRpcCode = jsonRpcCode;
    }

    public int httpStatus() {
        return httpStatus;
    }

    public int jsonRpcCode() {
        return jsonRpcCode;
    }

    /** The lower-case name, as {@code error.data.type} carries it. */
    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
