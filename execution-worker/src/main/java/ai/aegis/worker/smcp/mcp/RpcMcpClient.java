package ai.aegis.worker.smcp.mcp;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

/**
 * What both transports share: {@code tools/list} and {@code tools/call} over one {@link #request} exchange, whose
 * deadline is the configured timeout, the request ids, the closed flag and the messages of the failures they have in
 * common.
 */
abstract sealed class RpcMcpClient implements McpClient permits StdioMcpClient, StreamableHttpMcpClient {

    final McpServerConfig config;
    /** The worker's environment, for {@code env:VAR} references. */
    final Function<String, String> environment;
    final AtomicLong ids = new AtomicLong();
    volatile boolean closed;

    RpcMcpClient(McpServerConfig config, Function<String, String> environment) {
        this.config = config;
        this.environment = environment;
    }

    @Override
    public final List<McpTool> listTools() throws McpException {
        return McpProtocol.listTools(config.name(), this::request);
    }

    @Override
    public final JsonNode callTool(String toolName, JsonNode arguments) throws McpException {
        return McpProtocol.callTool(this::request, toolName, arguments);
    }

    private JsonNode request(String method, JsonNode params) throws McpException {
        return request(method, params, System.nanoTime() + config.timeout().toNanos());
    }

    /** One request, connecting first when needed; returns the response's {@code result}. */
    abstract JsonNode request(String method, JsonNode params, long deadline) throws McpException;

    /** Takes the lock that guards (re)connecting, waiting no longer than the deadline. */
    final void lockWithin(ReentrantLock lock, long deadline, String what) throws McpException {
        try {
            if (!lock.tryLock(remaining(deadline), TimeUnit.NANOSECONDS)) {
                throw timeout(what);
            }
        } catch (InterruptedException e) {
            throw interrupted(what);
        }
    }

    final McpException timeout(String what) {
        return new McpException(McpException.Kind.UNAVAILABLE, "MCP server '" + config.name() + "' did not "
                + "answer " + what + " within " + config.timeout().toMillis() + " ms");
    }

    /** Restores the interrupt flag and says what was being waited for. */
    final McpException interrupted(String what) {
        Thread.currentThread().interrupt();
        return new McpException(McpException.Kind.UNAVAILABLE, "interrupted waiting for MCP server '"
                + config.name() + "' " + what);
    }

    final McpException closedError() {
        return new McpException(McpException.Kind.UNAVAILABLE, "MCP client '" + config.name() + "' is closed");
    }

    /** The same failure again, thrown on this thread (the original's stack is its cause). */
    static McpException copy(McpException e) {
        return new McpException(e.kind(), e.code(), e.getMessage(), e);
    }

    static long remaining(long deadline) {
        return Math.max(0, deadline - System.nanoTime());
    }
}
