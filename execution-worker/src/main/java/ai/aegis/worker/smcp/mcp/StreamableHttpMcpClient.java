package ai.aegis.worker.smcp.mcp;

import ai.aegis.schemas.json.Json;
import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

/**
 * MCP over Streamable HTTP (spec 2025-03-26 / 2025-06-18): every JSON-RPC message is POSTed to the endpoint; the
 * answer is either one JSON body or an SSE stream whose {@code data:} events carry JSON-RPC messages, ours among
 * them. The session id the server returns on {@code initialize} is sent on every later request; a 404 on it means
 * the session expired, and the client initialises a new one and retries the request once.
 * <p>
 * Bodies and SSE events are read with the configured byte cap, and each request (including any re-initialise)
 * runs against one deadline, also while an SSE stream is open. The optional GET stream for server-initiated
 * messages is not opened: this client offers no capabilities a server could call back.
 */
public final class StreamableHttpMcpClient extends RpcMcpClient {

    private static final System.Logger LOG = System.getLogger(StreamableHttpMcpClient.class.getName());
    static final String SESSION_HEADER = "Mcp-Session-Id";
    static final String VERSION_HEADER = "MCP-Protocol-Version";
    private static final int ERROR_BODY_PREVIEW = 512;
    private static final Duration DELETE_TIMEOUT = Duration.ofSeconds(2);

    /** An established session; {@code id} is null when the server does not use sessions. */
    private record Session(String id, String protocolVersion, Map<String, String> headers) {
    }

    /** The server no longer knows our session id. */
    private static final class SessionExpired extends Exception {
        SessionExpired() {
            super(null, null, false, false);
        }
    }

    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final HttpClient http;
    private final ReentrantLock sessionLock = new ReentrantLock();
    private volatile Session session;

    public StreamableHttpMcpClient(McpServerConfig config) {
        this(config, System::getenv);
    }

    /** @param environment the worker's environment, for {@code env:VAR} header values */
    public StreamableHttpMcpClient(McpServerConfig config, Function<String, String> environment) {
        super(http(config), environment);
        this.http = HttpClient.newBuilder()
                .executor(executor)
                .connectTimeout(config.timeout())
                // Plain http stays on HTTP/1.1: no h2c upgrade attempt against small servers.
                .version("https".equals(config.url().getScheme()) ? HttpClient.Version.HTTP_2
                        : HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    private static McpServerConfig http(McpServerConfig config) {
        if (config.url() == null) {
            throw new IllegalArgumentException("MCP server '" + config.name() + "' has no url");
        }
        return config;
    }

    @Override
    public void close() {
        closed = true;
        Session current = session;
        session = null;
        if (current != null && current.id() != null) {
            try { // best effort: tells the server it may drop the session
                http.send(base(current, DELETE_TIMEOUT).DELETE().build(), HttpResponse.BodyHandlers.discarding());
            } catch (IOException e) {
                LOG.log(System.Logger.Level.DEBUG, "MCP server ''{0}'': session delete failed: {1}",
                        config.name(), e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        // Not close(): that waits for exchanges in flight, which may be SSE streams open for a whole timeout.
        http.shutdownNow();
        executor.shutdownNow();
    }

    @Override
    JsonNode request(String method, JsonNode params, long deadline) throws McpException {
        Session current = session(deadline);
        try {
            return McpProtocol.result(config.name(), method, exchange(current, method, params, deadline));
        } catch (SessionExpired e) {
            LOG.log(System.Logger.Level.DEBUG, "MCP server ''{0}'': session expired, initialising again",
                    config.name());
            expire(current);
            try {
                return McpProtocol.result(config.name(), method, exchange(session(deadline), method, params,
                        deadline));
            } catch (SessionExpired again) {
                throw new McpException(McpException.Kind.UNAVAILABLE, "MCP server '" + config.name()
                        + "' rejected a fresh session (HTTP 404)");
            }
        }
    }

    private void expire(Session stale) {
        sessionLock.lock();
        try {
            if (session == stale) {
                session = null;
            }
        } finally {
            sessionLock.unlock();
        }
    }

    private Session session(long deadline) throws McpException {
        Session current = session;
        if (current != null) {
            return current;
        }
        lockWithin(sessionLock, deadline, "initialize");
        try {
            if (closed) {
                throw closedError();
            }
            if (session != null) {
                return session;
            }
            Map<String, String> headers = EnvReferences.resolve(config.headers(), environment,
                    "MCP server '" + config.name() + "' header");
            Session bare = new Session(null, null, headers);
            AtomicReference<HttpHeaders> responseHeaders = new AtomicReference<>();
            JsonNode result;
            try {
                result = McpProtocol.result(config.name(), "initialize",
                        exchange(bare, "initialize", McpProtocol.initializeParams(), deadline, responseHeaders));
            } catch (SessionExpired e) {
                throw new McpException(McpException.Kind.UNAVAILABLE, "MCP server '" + config.name()
                        + "' answered initialize with HTTP 404");
            } catch (McpException e) {
                throw new McpException(e.kind(), e.code(), "MCP server '" + config.name()
                        + "' failed to initialise: " + e.getMessage(), e);
            }
            String version = McpProtocol.negotiatedVersion(config.name(), result);
            String id = responseHeaders.get().firstValue(SESSION_HEADER).filter(s -> !s.isBlank()).orElse(null);
            Session established = new Session(id, version, headers);
            try {
                exchange(established, "notifications/initialized", null, deadline, null);
            } catch (SessionExpired e) {
                throw new McpException(McpException.Kind.UNAVAILABLE, "MCP server '" + config.name()
                        + "' forgot the session it just created");
            }
            session = established;
            return established;
        } finally {
            sessionLock.unlock();
        }
    }

    private JsonNode exchange(Session session, String method, JsonNode params, long deadline)
            throws McpException, SessionExpired {
        return exchange(session, method, params, deadline, null);
    }

    /**
     * POSTs one message (a request, or a notification when {@code method} starts with {@code notifications/}) and
     * waits for the response to it; null for a notification. The whole exchange, body included, is bounded by
     * {@code deadline}: it runs on a virtual thread that is interrupted, and its stream closed, when time is up.
     */
    private JsonNode exchange(Session session, String method, JsonNode params, long deadline,
                              AtomicReference<HttpHeaders> headersOut) throws McpException, SessionExpired {
        boolean notification = method.startsWith("notifications/");
        long id = notification ? -1 : ids.incrementAndGet();
        JsonNode message = notification ? McpProtocol.notification(method) : McpProtocol.request(id, method, params);
        long left = remaining(deadline);
        if (left <= 0) {
            throw timeout(method);
        }
        HttpRequest request = base(session, Duration.ofNanos(left))
                .header("Content-Type", "application/json")
                .header("Accept", "application/json, text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(Json.writeBytes(message)))
                .build();
        AtomicReference<InputStream> body = new AtomicReference<>();
        Future<JsonNode> call = executor.submit(() -> send(request, session, id, body, headersOut));
        try {
            return call.get(left, TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            call.cancel(true);
            closeQuietly(body.get());
            throw timeout(method);
        } catch (InterruptedException e) {
            call.cancel(true);
            closeQuietly(body.get());
            throw interrupted(method);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof McpException mcp) {
                throw copy(mcp);
            }
            if (cause instanceof SessionExpired expired) {
                throw expired;
            }
            if (cause instanceof IOException io) {
                throw new McpException(McpException.Kind.UNAVAILABLE, "MCP server '" + config.name() + "' at "
                        + config.url() + " unreachable: " + describe(io), io);
            }
            throw new McpException(McpException.Kind.PROTOCOL, "MCP server '" + config.name() + "': " + cause,
                    cause);
        }
    }

    private JsonNode send(HttpRequest request, Session session, long id, AtomicReference<InputStream> bodyOut,
                          AtomicReference<HttpHeaders> headersOut) throws Exception {
        HttpResponse<InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream body = response.body()) {
            bodyOut.set(body);
            if (headersOut != null) {
                headersOut.set(response.headers());
            }
            int status = response.statusCode();
            if (status == 404 && session.id() != null) {
                throw new SessionExpired();
            }
            if (status < 200 || status > 299) {
                byte[] preview = body.readNBytes(ERROR_BODY_PREVIEW);
                throw new McpException(McpException.Kind.UNAVAILABLE, "MCP server '" + config.name()
                        + "' answered HTTP " + status + (preview.length == 0 ? ""
                        : ": " + new String(preview, StandardCharsets.UTF_8).strip()));
            }
            if (id < 0) {
                return null; // a notification: 202, nothing to read
            }
            String type = response.headers().firstValue("Content-Type").orElse("")
                    .toLowerCase(Locale.ROOT);
            if (type.startsWith("text/event-stream")) {
                return fromEventStream(body, id);
            }
            if (type.startsWith("application/json")) {
                byte[] bytes = body.readNBytes(config.maxMessageBytes() + 1);
                if (bytes.length > config.maxMessageBytes()) {
                    throw oversized();
                }
                JsonNode found = responseTo(id, parse(bytes));
                if (found == null) {
                    throw new McpException(McpException.Kind.PROTOCOL, "MCP server '" + config.name()
                            + "' answered JSON without the response to request " + id);
                }
                return found;
            }
            throw new McpException(McpException.Kind.PROTOCOL, "MCP server '" + config.name()
                    + "' answered with content type '" + type + "'");
        }
    }

    /** Reads SSE events until one carries the response to {@code id}; other messages are not for this client. */
    private JsonNode fromEventStream(InputStream body, long id) throws IOException, McpException {
        BoundedLineReader lines = new BoundedLineReader(body, config.maxMessageBytes());
        StringBuilder data = new StringBuilder();
        String event = "message";
        while (true) {
            byte[] raw;
            try {
                raw = lines.readLine();
            } catch (BoundedLineReader.OversizedLineException e) {
                throw oversized();
            }
            String line = raw == null ? "" : new String(raw, StandardCharsets.UTF_8);
            if (line.isEmpty()) { // end of an event (or of the stream)
                if (!data.isEmpty() && "message".equals(event)) {
                    JsonNode response = responseTo(id, parse(data.toString().getBytes(StandardCharsets.UTF_8)));
                    if (response != null) {
                        return response;
                    }
                }
                data.setLength(0);
                event = "message";
                if (raw == null) {
                    throw new McpException(McpException.Kind.PROTOCOL, "MCP server '" + config.name()
                            + "' ended its event stream without the response to request " + id);
                }
                continue;
            }
            if (line.startsWith(":")) {
                continue; // comment / keep-alive
            }
            int colon = line.indexOf(':');
            String field = colon < 0 ? line : line.substring(0, colon);
            String value = colon < 0 ? "" : line.substring(colon + 1);
            if (value.startsWith(" ")) {
                value = value.substring(1);
            }
            switch (field) {
                case "data" -> {
                    if (data.length() + value.length() + 1 > config.maxMessageBytes()) {
                        throw oversized();
                    }
                    if (!data.isEmpty()) {
                        data.append('\n');
                    }
                    data.append(value);
                }
                case "event" -> event = value;
                default -> { } // id, retry: resumption is not used
            }
        }
    }

    /** The response to {@code id} in a message or batch, or null when it holds none (notifications, requests). */
    private static JsonNode responseTo(long id, JsonNode message) {
        if (message.isArray()) {
            for (JsonNode element : message) {
                JsonNode found = responseTo(id, element);
                if (found != null) {
                    return found;
                }
            }
            return null;
        }
        return McpProtocol.isResponse(message) && message.get("id").asLong(-2) == id ? message : null;
    }

    private JsonNode parse(byte[] bytes) throws McpException {
        try {
            return Json.MAPPER.readTree(bytes);
        } catch (IOException e) {
            throw new McpException(McpException.Kind.PROTOCOL, "MCP server '" + config.name()
                    + "' sent malformed JSON: " + e.getMessage(), e);
        }
    }

    private HttpRequest.Builder base(Session session, Duration timeout) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(config.url()).timeout(timeout);
        session.headers().forEach(builder::header);
        if (session.id() != null) {
            builder.header(SESSION_HEADER, session.id());
        }
        if (session.protocolVersion() != null) {
            builder.header(VERSION_HEADER, session.protocolVersion());
        }
        return builder;
    }

    private McpException oversized() {
        return new McpException(McpException.Kind.PROTOCOL, "MCP server '" + config.name()
                + "' sent a message exceeding " + config.maxMessageBytes() + " bytes (max-message-bytes)");
    }

    private static String describe(IOException e) {
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }

    private static void closeQuietly(InputStream in) {
        if (in != null) {
            try {
                in.close();
            } catch (IOException ignored) {
                // already failing
            }
        }
    }
}
