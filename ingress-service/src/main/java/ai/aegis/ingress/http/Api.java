package ai.aegis.ingress.http;

import ai.aegis.schemas.json.Json;
import io.helidon.common.media.type.MediaTypes;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.util.Map;
import java.util.Optional;

/** Small helpers every route uses to answer JSON the same way. */
public final class Api {

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

    /** {@code {"error": message}}: the error form of executions, agents and approvals (contract §3). */
    public static void error(ServerResponse res, int status, String message) {
        json(res, status, Map.of("error", message));
    }

    /** A refused manifest: 400 with the message and every problem with its path. */
    public static void manifestError(ServerResponse res, ai.aegis.schemas.agent.ManifestException e) {
        Map<String, Object> body = new java.util.LinkedHashMap<>();
        body.put("error", e.getMessage());
        body.put("problems", e.problems());
        json(res, 400, body);
    }

    /**
     * The answer to a cancel: 200 with the final status when the run ended within the wait, else 202
     * {@code cancelling}.
     */
    public static void cancelAnswer(ServerResponse res, String idField, String id, boolean ended, String status) {
        Map<String, Object> body = new java.util.LinkedHashMap<>();
        body.put(idField, id);
        body.put("status", ended ? status : "cancelling");
        json(res, ended ? 200 : 202, body);
    }

    public static void unavailable(ServerResponse res) {
        res.header(HeaderNames.RETRY_AFTER, "5");
        json(res, 503, Map.of("error", "unavailable"));
    }

    public static Optional<String> query(ServerRequest req, String name) {
        return req.query().first(name).asOptional();
    }

    /** {@code ?limit=}: a whole number from 1 to {@code max}, else 400; {@code dflt} when absent. */
    public static int limit(ServerRequest req, int dflt, int max) {
        Optional<String> raw = query(req, "limit");
        if (raw.isEmpty()) {
            return dflt;
        }
        try {
            int n = Integer.parseInt(raw.get());
            if (n >= 1 && n <= max) {
                return n;
            }
        } catch (NumberFormatException ignored) {
            // answered below
        }
        throw new BadRequest("limit must be a whole number from 1 to " + max);
    }

    /** A path parameter that must be a UUID: lower-cased, or 400 {@code {"error": invalidMessage}}. */
    public static String uuidParam(ServerRequest req, String name, String invalidMessage) {
        String id = pathParam(req, name);
        if (!ai.aegis.schemas.Ids.isUuid(id)) {
            throw new BadRequest(invalidMessage);
        }
        return id.toLowerCase();
    }

    public static String pathParam(ServerRequest req, String name) {
        return req.path().pathParameters().get(name);
    }

    /** Reads the body as text; an absent body is the empty string. */
    public static String body(ServerRequest req) {
        if (!req.content().hasEntity()) {
            return "";
        }
        return req.content().as(String.class);
    }
}
