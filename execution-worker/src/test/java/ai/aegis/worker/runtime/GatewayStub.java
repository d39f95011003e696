package ai.aegis.worker.runtime;

import ai.aegis.schemas.json.Json;
import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * A dispatch gateway (and the worker's SMCP attest and invoke routes) over real HTTP on 127.0.0.1 for tests: answers
 * the n-th POST, whichever of those paths it went to, with the n-th scripted reply and
 * records every request (body and Authorization header) for assertions afterwards. Public for the runtime tests in
 * sub-packages such as bubblewrap.
 */
public final class GatewayStub implements AutoCloseable {

    public record Reply(int status, String body) {
        public static Reply json(Object value) {
            return new Reply(200, Json.write(value));
        }
    }

    public record Request(String method, String path, String authorization, JsonNode body) {
    }

    private final HttpServer server;
    private final Deque<Reply> replies;
    private final Consumer<Request> beforeReply;
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final List<Throwable> failures = new CopyOnWriteArrayList<>();

    private GatewayStub(Consumer<Request> beforeReply, List<Reply> replies) throws IOException {
        this.beforeReply = beforeReply;
        this.replies = new ArrayDeque<>(replies);
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        // One scripted sequence across the gateway and the SMCP routes: a sandbox asks them in a fixed order.
        for (String path : List.of("/v1/dispatch-gateway", "/v1/smcp/attest", "/v1/smcp/invoke")) {
            server.createContext(path, this::handle);
        }
        server.start();
    }

    public static GatewayStub replying(Reply... replies) throws IOException {
        return new GatewayStub(request -> { }, List.of(replies));
    }

    /**
     * Runs {@code beforeReply} on every request before answering it: while it runs, the sandbox that asked is alive
     * and waiting, which lets a test look at its processes without racing their end.
     */
    public static GatewayStub replyingAfter(Consumer<Request> beforeReply, Reply... replies) throws IOException {
        return new GatewayStub(beforeReply, List.of(replies));
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    public List<Request> requests() {
        return List.copyOf(requests);
    }

    /** What {@code beforeReply} threw (assertions included), for the test to rethrow on its own thread. */
    public List<Throwable> failures() {
        return List.copyOf(failures);
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            byte[] body = exchange.getRequestBody().readAllBytes();
            Request request = new Request(exchange.getRequestMethod(), exchange.getRequestURI().getPath(),
                    exchange.getRequestHeaders().getFirst("Authorization"), Json.MAPPER.readTree(body));
            requests.add(request);
            Reply reply;
            try {
                beforeReply.accept(request);
            } catch (RuntimeException | AssertionError e) {
                failures.add(e);
            }
            synchronized (replies) {
                reply = replies.isEmpty() ? new Reply(500, "{\"error\":\"stub has no more replies\"}") : replies.poll();
            }
            byte[] out = reply.body().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(reply.status(), out.length);
            try (OutputStream os = exchange.getResponseBody()) {
                os.write(out);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
