package ai.aegis.http;

import ai.aegis.schemas.json.Json;
import io.helidon.common.media.type.MediaTypes;
import io.helidon.http.DirectHandler;
import io.helidon.http.HeaderNames;
import io.helidon.http.HttpException;
import io.helidon.http.ServerResponseHeaders;
import io.helidon.http.Status;
import io.helidon.webserver.http.DirectHandlers;
import io.helidon.webserver.http.HttpRouting;

import java.util.Map;

/**
 * Turns every failure into a JSON answer: refused input keeps its status, anything unexpected is a 500 with a
 * generic message (the detail goes to the log, never into a body).
 *
 * <p>Two paths need covering. Exceptions thrown by routes and filters reach the routing's error handlers
 * ({@link #install}). Failures Helidon detects itself (a body over {@code maxPayloadSize}, a malformed request
 * line or header, and any {@code RequestException}, even one thrown while a route reads its body) never reach
 * those handlers: Helidon answers them through the listener's direct handlers, by default with an empty or
 * HTML-encoded text body. {@link #directHandlers()} makes those JSON too.
 *
 * <p>Routes mounted by the ingress from other services (the approval service's) throw {@link BadRequest} too and
 * rely on these handlers, so a service tested on its own installs them the same way.
 */
public final class ErrorHandling {

    private static final System.Logger LOG = System.getLogger(ErrorHandling.class.getName());

    public static final String TOO_LARGE = "Request body too large";
    public static final String INTERNAL = "Internal error";

    private ErrorHandling() {
    }

    public static void install(HttpRouting.Builder routing) {
        routing.error(BadRequest.class, (req, res, e) -> Api.error(res, e.status(), e.getMessage()));
        // Without this, Helidon's own HttpExceptions (BadRequestException, NotFoundException...) thrown from a
        // route would match the catch-all below and turn into 500s.
        routing.error(HttpException.class, (req, res, e) -> {
            e.headers().forEach(res::header);
            Api.error(res, e.status().code(), message(e.status().code(), e.getMessage()));
        });
        routing.error(Exception.class, (req, res, e) -> {
            LOG.log(System.Logger.Level.ERROR, "unhandled error on " + req.prologue().method() + " "
                    + req.path().path(), e);
            Api.error(res, 500, INTERNAL);
        });
    }

    /** The last route: anything not matched is a JSON 404. */
    public static void notFound(HttpRouting.Builder routing) {
        routing.any((req, res) -> Api.error(res, 404, "Not found: " + req.prologue().method().text() + " "
                + req.path().path()));
    }

    /** Direct handlers for the listener: Helidon's transport-level refusals as {@code {"error": ...}}. */
    public static DirectHandlers directHandlers() {
        DirectHandler json = ErrorHandling::direct;
        DirectHandlers.Builder builder = DirectHandlers.builder();
        for (DirectHandler.EventType type : DirectHandler.EventType.values()) {
            builder.addHandler(type, json);
        }
        return builder.build();
    }

    private static DirectHandler.TransportResponse direct(DirectHandler.TransportRequest request,
                                                          DirectHandler.EventType type, Status status,
                                                          ServerResponseHeaders headers, String message) {
        int code = type == DirectHandler.EventType.PAYLOAD_TOO_LARGE ? 413 : status.code();
        headers.set(HeaderNames.CONTENT_TYPE, MediaTypes.APPLICATION_JSON.text());
        return DirectHandler.TransportResponse.builder()
                .status(Status.create(code))
                .headers(headers)
                .entity(Json.writeBytes(Map.of("error", message(code, message))))
                .build();
    }

    private static String message(int code, String detail) {
        if (code == 413) {
            return TOO_LARGE;
        }
        if (code >= 500) {
            return INTERNAL;
        }
        boolean noDetail = detail == null || detail.isBlank();
        if (code == 400) {
            return noDetail ? "Bad request" : "Bad request: " + detail;
        }
        return noDetail ? Status.create(code).reasonPhrase() : detail;
    }
}
