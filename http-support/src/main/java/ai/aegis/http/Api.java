package ai.aegis.http;

import ai.aegis.schemas.Ids;
import ai.aegis.schemas.json.Json;
import io.helidon.common.media.type.MediaTypes;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.util.Map;
import java.util.Optional;

/** Small helpers every route uses to read its request and answer JSON the same way. */
public final class Api {

    /** How long a caller should wait before retrying a write Kafka did not take, in seconds. */
    public static final String RETRY_AFTER_SECONDS = "5";
    /** How long a caller refused because the listener was at its limit of requests in flight should wait. */
    public static final String RETRY_AFTER_OVERLOAD_SECONDS = "1";
    /** The error message of that refusal. */
    public static final String OVERLOADED = "Too many requests in flight";

    private Api() {
    }

    public static void json(ServerResponse res, int status, Object body) {
        res.status(Status.create(status));
        res.headers().contentType(MediaTypes.APPLICATION_JSON);
        res.send(Json.writeBytes(body));
    }

    public static void ok(ServerResponse res, Object body) {
        json(res, 200, body);
    }

    /** {@code {"error": message}}: the error form of the reference API (executions, agents, approvals). */
    public static void error(ServerResponse res, int status, String message) {
        json(res, status, Map.of("error", message));
    }

    /**
     * {@code {"error": code, "message": message}}: the error form of the stimulus and webhook routes, whose codes
     * a sender's code can switch on ({@code idempotent_duplicate}, {@code unknown_workflow}, ...).
     */
    public static void coded(ServerResponse res, int status, String code, String message) {
        Map<String, Object> body = new java.util.LinkedHashMap<>();
        body.put("error", code);
        body.put("message", message);
        json(res, status, body);
    }

    /** Kafka (or a service behind it) did not answer in time: 503 with {@code Retry-After}; nothing was lost. */
    public static void unavailable(ServerResponse res) {
        unavailable(res, RETRY_AFTER_SECONDS, "unavailable");
    }

    /**
     * The listener is serving as many requests as it may: 503 with {@code Retry-After: 1}, and nothing was done.
     * Sooner than {@link #unavailable}'s: an overload is gone as soon as a few requests finish, an outage is not.
     */
    public static void overloaded(ServerResponse res) {
        unavailable(res, RETRY_AFTER_OVERLOAD_SECONDS, OVERLOADED);
    }

    private static void unavailable(ServerResponse res, String retryAfterSeconds, String message) {
        res.header(HeaderNames.RETRY_AFTER, retryAfterSeconds);
        error(res, 503, message);
    }

    public static Optional<String> query(ServerRequest req, String name) {
        return req.query().first(name).asOptional();
    }

    public static String pathParam(ServerRequest req, String name) {
        return req.path().pathParameters().get(name);
    }

    /** A path parameter that must be a UUID: lower-cased, or 400 {@code {"error": invalidMessage}}. */
    public static String uuidParam(ServerRequest req, String name, String invalidMessage) {
        String id = pathParam(req, name);
        if (!Ids.isUuid(id)) {
            throw new BadRequest(invalidMessage);
        }
        return id.toLowerCase();
    }

    /** Reads the body as text; an absent body is the empty string. */
    public static String body(ServerRequest req) {
        if (!req.content().hasEntity()) {
            return "";
        }
        return req.content().as(String.class);
    }
}
