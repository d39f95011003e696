package ai.aegis.worker.smcp.mcp;

import ai.aegis.schemas.json.Json;
import ai.aegis.worker.runtime.ContainerRuntime;
import ai.aegis.worker.runtime.OutputTail;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

/**
 * MCP over stdio: the server is a child process reading newline-delimited JSON-RPC on stdin and answering on
 * stdout; stderr is its log, of which only the last {@value #STDERR_TAIL_BYTES} bytes are kept for error messages.
 * <p>
 * Requests from many threads share one process: each waits for the response carrying its id. One virtual thread
 * reads stdout, one writes stdin (so a server that stops reading costs callers their timeout, not a blocked
 * thread), one drains stderr. A process that dies, or sends a line over the cap (after which the stream cannot be
 * trusted to be at a message boundary), fails the calls in flight and is started again on the next call; so does one
 * that stops reading stdin until {@value #MAX_QUEUED_MESSAGES} messages wait for it.
 */
public final class StdioMcpClient extends RpcMcpClient {

    private static final System.Logger LOG = System.getLogger(StdioMcpClient.class.getName());
    /** The only variables a child inherits from the worker; everything else must be configured. */
    static final List<String> INHERITED_VARIABLES = List.of("PATH", "HOME", "LANG");
    private static final Duration GRACE = Duration.ofSeconds(1);
    private static final Duration STDERR_SETTLE = Duration.ofMillis(500);
    static final int STDERR_TAIL_BYTES = 8 * 1024;
    /** Messages waiting for the stdin writer; a server that lets more pile up is not reading and is stopped. */
    static final int MAX_QUEUED_MESSAGES = 1024;
    /** The stderr tail keeps bytes only: no lines for anyone. */
    private static final ContainerRuntime.ByteListener NO_LISTENER = new ContainerRuntime.ByteListener() {
        @Override
        public void bytes(String stream, byte[] chunk, int length) {
        }

        @Override
        public void line(String stream, String line) {
        }
    };

    private final ReentrantLock connectLock = new ReentrantLock();
    private volatile Connection connection;

    public StdioMcpClient(McpServerConfig config) {
        this(config, System::getenv);
    }

    /** @param environment the worker's environment, for PATH/HOME/LANG and {@code env:VAR} references */
    public StdioMcpClient(McpServerConfig config, Function<String, String> environment) {
        super(stdio(config), environment);
    }

    private static McpServerConfig stdio(McpServerConfig config) {
        if (!config.isStdio()) {
            throw new IllegalArgumentException("MCP server '" + config.name() + "' has no command");
        }
        return config;
    }

    @Override
    public void close() {
        closed = true;
        Connection current = connection;
        if (current != null) {
            current.stop();
        }
    }

    /** The pid of the current server process, if one is running (for tests and health). */
    public OptionalLong pid() {
        Connection current = connection;
        return current != null && current.alive() ? OptionalLong.of(current.process.pid()) : OptionalLong.empty();
    }

    @Override
    JsonNode request(String method, JsonNode params, long deadline) throws McpException {
        return connected(deadline).exchange(method, params, deadline);
    }

    private Connection connected(long deadline) throws McpException {
        Connection current = connection;
        if (current != null && current.alive()) {
            return current;
        }
        lockWithin(connectLock, deadline, "start");
        try {
            if (closed) {
                throw closedError();
            }
            current = connection;
            if (current != null && current.alive()) {
                return current;
            }
            if (current != null) {
                current.kill(); // a dead process may leave children behind
            }
            Connection started = start();
            try {
                JsonNode result = started.exchange("initialize", McpProtocol.initializeParams(), deadline);
                String version = McpProtocol.negotiatedVersion(config.name(), result);
                started.send(McpProtocol.notification("notifications/initialized"));
                LOG.log(System.Logger.Level.DEBUG, "MCP server ''{0}'' started (pid {1}, protocol {2})",
                        config.name(), started.process.pid(), version);
            } catch (McpException e) {
                started.kill();
                throw new McpException(e.kind(), e.code(), "MCP server '" + config.name()
                        + "' failed to initialise: " + e.getMessage(), e);
            }
            connection = started;
            if (closed) { // close() ran meanwhile and may not have seen this connection
                started.stop();
                throw closedError();
            }
            return started;
        } finally {
            connectLock.unlock();
        }
    }

    private Connection start() throws McpException {
        Map<String, String> configured = EnvReferences.resolve(config.env(), environment,
                "MCP server '" + config.name() + "' env");
        ProcessBuilder builder = new ProcessBuilder(config.command());
        Map<String, String> childEnvironment = builder.environment();
        childEnvironment.clear();
        for (String variable : INHERITED_VARIABLES) {
            String value = environment.apply(variable);
            if (value != null) {
                childEnvironment.put(variable, value);
            }
        }
        childEnvironment.putAll(configured);
        if (config.workingDir() != null) {
            builder.directory(config.workingDir().toFile());
        }
        try {
            return new Connection(builder.start());
        } catch (IOException e) {
            throw new McpException(McpException.Kind.UNAVAILABLE, "cannot start MCP server '" + config.name()
                    + "' (" + config.command().getFirst() + "): " + e.getMessage(), e);
        }
    }

    /** One server process and its three threads. */
    private final class Connection {

        private static final byte[] STOP = new byte[0];

        final Process process;
        private final OutputTail stderr = new OutputTail("stderr", NO_LISTENER, STDERR_TAIL_BYTES);
        /** Calls waiting for their response: at most one per calling thread, each removed when it ends. */
        private final Map<Long, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
        private final BlockingQueue<byte[]> outgoing = new LinkedBlockingQueue<>(MAX_QUEUED_MESSAGES);
        private final AtomicReference<McpException> failure = new AtomicReference<>();
        private final Thread stderrDrain;

        Connection(Process process) {
            this.process = process;
            String name = "mcp-" + config.name() + "-" + process.pid();
            this.stderrDrain = Thread.ofVirtual().name(name + "-stderr").start(this::drainStderr);
            Thread.ofVirtual().name(name + "-stdout").start(this::readStdout);
            Thread.ofVirtual().name(name + "-stdin").start(this::writeStdin);
        }

        boolean alive() {
            return failure.get() == null && process.isAlive();
        }

        JsonNode exchange(String method, JsonNode params, long deadline) throws McpException {
            long id = ids.incrementAndGet();
            CompletableFuture<JsonNode> response = new CompletableFuture<>();
            pending.put(id, response);
            // After the put: either the dying reader's sweep sees this future or this check sees its failure.
            McpException failed = failure.get();
            if (failed != null) {
                pending.remove(id);
                throw copy(failed);
            }
            send(McpProtocol.request(id, method, params));
            try {
                return McpProtocol.result(config.name(), method,
                        response.get(remaining(deadline), TimeUnit.NANOSECONDS));
            } catch (TimeoutException e) {
                pending.remove(id);
                ObjectNode cancel = McpProtocol.notification("notifications/cancelled");
                cancel.set("params", Json.object().put("requestId", id).put("reason", "timeout"));
                send(cancel);
                throw timeout(method);
            } catch (ExecutionException e) {
                throw e.getCause() instanceof McpException mcp ? copy(mcp)
                        : new McpException(McpException.Kind.PROTOCOL, String.valueOf(e.getCause()), e.getCause());
            } catch (InterruptedException e) {
                pending.remove(id);
                throw interrupted(method);
            }
        }

        /** Queues a message for the writer; a dead connection drops it, a full queue stops the process. */
        void send(JsonNode message) {
            if (failure.get() == null && !outgoing.offer(Json.writeBytes(message))) {
                fail(new McpException(McpException.Kind.UNAVAILABLE, "MCP server '" + config.name() + "' does not "
                        + "read its stdin (" + MAX_QUEUED_MESSAGES + " messages waiting); the process was stopped "
                        + "and restarts on the next call"));
                kill(); // after fail(): the reader's "exited" must not be the reason the calls get
            }
        }

        /**
         * Has the writer close stdin, which tells a well-behaved server to exit, then escalates. (Not closed here:
         * that would wait for the writer's write in progress, which a server that does not read never lets finish.)
         */
        void stop() {
            fail(closedError());
            try {
                if (!process.waitFor(GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                    process.destroy();
                    if (!process.waitFor(GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                        kill();
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                kill();
            }
        }

        void kill() {
            process.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }

        /** Marks the connection dead (first failure wins) and fails every call in flight with it. */
        private void fail(McpException cause) {
            if (failure.compareAndSet(null, cause)) {
                while (!outgoing.offer(STOP)) { // full: what waits there is never going to be written
                    outgoing.clear();
                }
            }
            McpException first = failure.get();
            for (Long id : pending.keySet()) {
                CompletableFuture<JsonNode> call = pending.remove(id);
                if (call != null) {
                    call.completeExceptionally(first);
                }
            }
        }

        private String stderrTail() {
            try {
                stderrDrain.join(STDERR_SETTLE);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            String tail = stderr.text().strip();
            return tail.isEmpty() ? "" : "; stderr (tail): " + tail;
        }

        private void readStdout() {
            BoundedLineReader reader = new BoundedLineReader(process.getInputStream(), config.maxMessageBytes());
            try {
                byte[] line;
                while ((line = reader.readLine()) != null) {
                    if (line.length > 0) {
                        dispatch(line);
                    }
                }
                String exit = exitDescription();
                fail(new McpException(McpException.Kind.UNAVAILABLE, "MCP server '" + config.name() + "' "
                        + exit + stderrTail()));
            } catch (BoundedLineReader.OversizedLineException e) {
                kill();
                fail(new McpException(McpException.Kind.PROTOCOL, "MCP server '" + config.name() + "' sent "
                        + e.getMessage() + " (max-message-bytes); the process was stopped and restarts on the "
                        + "next call"));
            } catch (IOException e) {
                kill();
                fail(new McpException(McpException.Kind.UNAVAILABLE, "reading from MCP server '" + config.name()
                        + "' failed: " + e.getMessage() + stderrTail(), e));
            } catch (RuntimeException e) { // the reader must not end without failing the calls that wait for it
                kill();
                fail(new McpException(McpException.Kind.PROTOCOL, "handling a message of MCP server '"
                        + config.name() + "' failed: " + e + "; the process was stopped and restarts on the next "
                        + "call", e));
            }
        }

        private String exitDescription() {
            try {
                if (process.waitFor(GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                    return "exited with code " + process.exitValue();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            kill();
            return "closed its stdout";
        }

        private void dispatch(byte[] line) {
            JsonNode message;
            try {
                message = Json.MAPPER.readTree(line);
            } catch (IOException e) {
                // Not ours to fail a call over: we cannot tell which call it was meant for.
                LOG.log(System.Logger.Level.WARNING, "MCP server ''{0}'' wrote a non-JSON line to stdout: {1}",
                        config.name(), preview(line));
                return;
            }
            if (message.isArray()) {
                message.forEach(this::dispatch);
            } else {
                dispatch(message);
            }
        }

        private void dispatch(JsonNode message) {
            if (McpProtocol.isResponse(message)) {
                JsonNode id = message.get("id");
                CompletableFuture<JsonNode> call = id.canConvertToLong() || id.isTextual()
                        ? pending.remove(id.asLong(-1)) : null;
                if (call != null) {
                    call.complete(message);
                } else {
                    LOG.log(System.Logger.Level.DEBUG, "MCP server ''{0}'': response to unknown or abandoned "
                            + "request {1}", config.name(), id);
                }
            } else if (message.hasNonNull("id") && message.has("method")) {
                send(answerServerRequest(message));
            }
            // Notifications (progress, logging, list_changed) are not used by this client.
        }

        /** The server may ping; the client offers no other capability (no sampling, roots or elicitation). */
        private JsonNode answerServerRequest(JsonNode request) {
            ObjectNode answer = Json.object().put("jsonrpc", "2.0");
            answer.set("id", request.get("id"));
            if ("ping".equals(request.path("method").asText())) {
                answer.set("result", Json.object());
            } else {
                answer.set("error", Json.object().put("code", -32601).put("message", "method not found"));
            }
            return answer;
        }

        /** Writes what is queued until {@link #STOP}, then closes stdin. */
        private void writeStdin() {
            try (OutputStream stdin = process.getOutputStream()) {
                while (true) {
                    byte[] message = outgoing.take();
                    if (message == STOP) {
                        return;
                    }
                    stdin.write(message);
                    stdin.write('\n');
                    if (outgoing.isEmpty()) {
                        stdin.flush();
                    }
                }
            } catch (IOException e) {
                fail(new McpException(McpException.Kind.UNAVAILABLE, "writing to MCP server '" + config.name()
                        + "' failed: " + e.getMessage() + stderrTail(), e));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        private void drainStderr() {
            byte[] buffer = new byte[4096];
            try (InputStream in = process.getErrorStream()) {
                int read;
                while ((read = in.read(buffer)) >= 0) {
                    stderr.accept(buffer, read);
                }
            } catch (IOException e) {
                // The process is gone; what was read is kept.
            }
        }

        private static String preview(byte[] line) {
            String text = new String(line, 0, Math.min(line.length, 200), StandardCharsets.UTF_8);
            return line.length > 200 ? text + "..." : text;
        }
    }
}
