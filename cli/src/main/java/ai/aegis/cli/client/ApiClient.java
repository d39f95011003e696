package ai.aegis.cli.client;

import ai.aegis.schemas.json.Json;
import com.fasterxml.jackson.databind.JsonNode;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * The Aegis REST API over java.net.http: JSON requests with timeouts, errors turned into one-line
 * {@link CliException}s ({@code 404 Agent not found}, {@code cannot reach ...}), and the SSE event streams read
 * frame by frame.
 */
public final class ApiClient {

    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    /** A request's answer; for a stream, its headers (the API sends them at once). */
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
    /**
     * A stream that brings nothing for this long, not even a keep-alive (every 15 s by default,
     * {@code aegis.ingress.sse-heartbeat-ms}), is given up: the server froze or the network dropped the connection.
     */
    static final Duration STREAM_IDLE = Duration.ofMinutes(2);
    /** At most this much of an error answer's body is read. */
    private static final int MAX_ERROR_BODY = 64 * 1024;

    private final String base;
    private final String token;
    private final HttpClient http;
    private final Duration streamIdle;

    public ApiClient(String base, String token) {
        this(base, token, STREAM_IDLE);
    }

    ApiClient(String base, String token, Duration streamIdle) {
        this.base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
        this.token = token;
        this.http = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT).build();
        this.streamIdle = streamIdle;
    }

    public static String encode(String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }

    public JsonNode get(String path) {
        return send(request(path).GET());
    }

    public JsonNode delete(String path) {
        return send(request(path).DELETE());
    }

    public JsonNode post(String path, Object body) {
        return postText(path, Json.write(body), "application/json");
    }

    public JsonNode postText(String path, String body, String contentType) {
        return send(request(path).header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)));
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).timeout(REQUEST_TIMEOUT)
                .header("Accept", "application/json");
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return b;
    }

    private URI uri(String path) {
        try {
            return URI.create(base + path);
        } catch (IllegalArgumentException e) {
            throw new CliException("not a valid server URL: " + base, 2);
        }
    }

    private JsonNode send(HttpRequest.Builder request) {
        HttpResponse<String> res = exchange(request.build(), HttpResponse.BodyHandlers.ofString());
        JsonNode body = parse(res.body());
        if (res.statusCode() / 100 != 2) {
            throw error(res.statusCode(), body, res.body());
        }
        return body;
    }

    private <T> HttpResponse<T> exchange(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
        try {
            return http.send(request, handler);
        } catch (HttpConnectTimeoutException e) {
            throw unreachable("connect timed out");
        } catch (HttpTimeoutException e) {
            throw new CliException(base + " did not answer within " + REQUEST_TIMEOUT.toSeconds() + " s");
        } catch (ConnectException e) {
            throw unreachable("connection refused");
        } catch (IOException e) {
            throw unreachable(e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException("interrupted", 130);
        }
    }

    private CliException unreachable(String why) {
        return new CliException("cannot reach " + base + " (" + why + "); is aegis up running?");
    }

    private static JsonNode parse(String text) {
        return text == null || text.isBlank() ? Json.object() : jsonOrText(text);
    }

    /** The text as JSON when it parses as JSON, else as a JSON string. */
    static JsonNode jsonOrText(String text) {
        try {
            JsonNode node = Json.tree(text);
            if (!node.isMissingNode()) {
                return node;
            }
        } catch (RuntimeException notJson) {
            // a string, then
        }
        return Json.MAPPER.getNodeFactory().textNode(text);
    }

    /** An error answer as one line: {@code 404 Agent not found}. */
    static CliException error(int status, JsonNode body, String raw) {
        String message;
        if (body.isObject() && body.hasNonNull("message") && body.path("error").isTextual()
                && !body.get("error").asText().contains(" ")) {
            message = body.get("message").asText() + " (" + body.get("error").asText() + ")";
        } else if (body.isObject() && body.path("error").isTextual()) {
            message = body.get("error").asText();
        } else if (body.isObject() && body.has("message")) {
            message = body.get("message").asText();
        } else {
            message = raw == null || raw.isBlank() ? reason(status) : raw.strip();
        }
        if (body.isObject() && body.path("problems").isArray() && !body.get("problems").isEmpty()) {
            StringBuilder p = new StringBuilder();
            for (JsonNode problem : body.get("problems")) {
                p.append(p.isEmpty() ? ": " : "; ").append(problem.isTextual() ? problem.asText()
                        : problem.path("path").asText("") + " " + problem.path("message").asText(problem.toString()));
            }
            message += p;
        }
        return new CliException(status + " " + message.replace('\n', ' '));
    }

    private static String reason(int status) {
        return switch (status) {
            case 401 -> "Unauthorized (no or a wrong token: --token-file, AEGIS_TOKEN or aegis login)";
            case 403 -> "Forbidden";
            case 404 -> "Not found";
            default -> "HTTP " + status;
        };
    }

    /**
     * Reads an SSE stream until it closes or {@code frame} answers false: each {@code data:} as JSON. A stream silent
     * for {@link #STREAM_IDLE} is given up ({@link CliException}).
     *
     * @return false when the stream was answered 204 (it had already ended)
     */
    public boolean stream(String path, Predicate<JsonNode> frame) {
        HttpRequest request = request(path).setHeader("Accept", "text/event-stream").GET().build();
        HttpResponse<InputStream> res = exchange(request, HttpResponse.BodyHandlers.ofInputStream());
        AtomicLong lastRead = new AtomicLong(System.nanoTime());
        AtomicBoolean idle = new AtomicBoolean();
        ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "aegis-stream-watchdog");
            t.setDaemon(true);
            return t;
        });
        try (InputStream in = res.body();
             BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            if (res.statusCode() == 204) {
                return false;
            }
            if (res.statusCode() / 100 != 2) {
                String raw = new String(in.readNBytes(MAX_ERROR_BODY), StandardCharsets.UTF_8);
                throw error(res.statusCode(), parse(raw), raw);
            }
            long check = Math.max(1, streamIdle.toMillis() / 4);
            watchdog.scheduleWithFixedDelay(() -> {
                if (System.nanoTime() - lastRead.get() > streamIdle.toNanos() && !idle.getAndSet(true)) {
                    try {
                        in.close(); // the blocked read ends with an IOException
                    } catch (IOException ignored) {
                        // closing is all that is asked
                    }
                }
            }, check, check, TimeUnit.MILLISECONDS);
            StringBuilder data = new StringBuilder();
            String line;
            while ((line = reader.readLine()) != null) {
                lastRead.set(System.nanoTime());
                if (line.isEmpty()) {
                    if (!data.isEmpty()) {
                        JsonNode node = parse(data.toString());
                        data.setLength(0);
                        if (!frame.test(node)) {
                            return true;
                        }
                    }
                } else if (line.startsWith("data:")) {
                    if (!data.isEmpty()) {
                        data.append('\n');
                    }
                    data.append(line.substring(line.startsWith("data: ") ? 6 : 5));
                }
            }
            if (!data.isEmpty()) {
                frame.test(parse(data.toString()));
            }
            return true;
        } catch (IOException e) {
            if (idle.get()) {
                throw new CliException("the stream from " + base + " brought nothing for " + streamIdle.toSeconds()
                        + " s, not even a keep-alive");
            }
            throw new CliException("the stream from " + base + " broke: " + e.getMessage());
        } finally {
            watchdog.shutdownNow();
        }
    }
}
