package ai.aegis.ingress.http;

import ai.aegis.http.Api;
import ai.aegis.http.BadRequest;
import ai.aegis.schemas.agent.ManifestException;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** The answers only the public API gives (manifests, cancels, list limits); the common ones are {@link Api}'s. */
public final class IngressAnswers {

    private IngressAnswers() {
    }

    /** A refused manifest: 400 with the message and every problem with its path. */
    public static void manifestError(ServerResponse res, ManifestException e) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", e.getMessage());
        body.put("problems", e.problems());
        Api.json(res, 400, body);
    }

    /**
     * The answer to a cancel: 200 with the final status when the run ended within the wait, else 202
     * {@code cancelling}.
     */
    public static void cancelAnswer(ServerResponse res, String idField, String id, boolean ended, String status) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put(idField, id);
        body.put("status", ended ? status : "cancelling");
        Api.json(res, ended ? 200 : 202, body);
    }

    /** {@code ?limit=}: a whole number from 1 to {@code max}, else 400; {@code dflt} when absent. */
    public static int limit(ServerRequest req, int dflt, int max) {
        Optional<String> raw = Api.query(req, "limit");
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
}
