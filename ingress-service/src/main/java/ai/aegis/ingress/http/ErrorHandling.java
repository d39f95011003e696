package ai.aegis.ingress.http;

import io.helidon.http.RequestException;
import io.helidon.webserver.http.HttpRouting;

/**
 * Turns every failure into a JSON answer: refused input keeps its status, anything unexpected is a 500 with a
 * generic message (the detail goes to the log, never into a body).
 */
public final class ErrorHandling {

    private static final System.Logger LOG = System.getLogger(ErrorHandling.class.getName());

    private ErrorHandling() {
    }

    public static void install(HttpRouting.Builder routing) {
        routing.error(BadRequest.class, (req, res, e) -> Api.error(res, e.status(), e.getMessage()));
        routing.error(RequestException.class, (req, res, e) -> {
            int code = e.status().code();
            String message = code == 413 ? "Request body too large" : code >= 500 ? "Internal error"
                    : "Bad request: " + e.getMessage();
            Api.error(res, code, message);
        });
        routing.error(Exception.class, (req, res, e) -> {
            LOG.log(System.Logger.Level.ERROR, "unhandled error on " + req.prologue().method() + " "
                    + req.path().path(), e);
            Api.error(res, 500, "Internal error");
        });
    }

    /** The last route: anything not matched is a JSON 404. */
    public static void notFound(HttpRouting.Builder routing) {
        routing.any((req, res) -> Api.error(res, 404, "Not found: " + req.prologue().method().text() + " "
                + req.path().path()));
    }
}
