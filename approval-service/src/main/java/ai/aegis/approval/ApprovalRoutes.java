package ai.aegis.approval;

import ai.aegis.schemas.Ids;
import ai.aegis.schemas.approval.ApprovalReply;
import ai.aegis.schemas.approval.ApprovalRequest;
import ai.aegis.schemas.auth.Subject;
import ai.aegis.schemas.json.Json;
import ai.aegis.topology.kafka.DurablePublisher.UnavailableException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.helidon.common.media.type.MediaTypes;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code /v1/human-approvals}, with the reference's bodies exactly (contract §3 and §7):
 * <ul>
 *   <li>{@code GET /}: {@code 200 {"pending_requests":[...]}}</li>
 *   <li>{@code GET /{id}}: {@code 200 {"request":{...}}}; unknown, decided or expired: <b>200</b>
 *       {@code {"error":"Request not found or already completed"}} as the reference says</li>
 *   <li>{@code POST /{id}/approve} {@code {feedback?, approved_by?}}: {@code 200 {"status":"approved"}}</li>
 *   <li>{@code POST /{id}/reject} {@code {reason, rejected_by?}}: {@code 200 {"status":"rejected"}}</li>
 * </ul>
 * Approve and reject of an unknown or completed request answer <b>404</b> with the same error body; a path id that
 * is not a UUID answers {@code 400 {"error":"Invalid request ID"}}; Kafka or the owner not answering in time
 * answers {@code 503 {"error":"unavailable"}} with {@code Retry-After}.
 *
 * <p>Each request object holds the reference's fields ({@code id, execution_id, prompt, created_at,
 * timeout_seconds}) plus {@code workflow_execution_id} and {@code state_name}. {@code execution_id} is the agent
 * execution the question is about when the engine named one, otherwise the workflow execution id (so that the
 * reference's field is never missing).
 *
 * <p>Every refusal is answered here rather than thrown: the ingress mounts this service next to its own routes, and
 * its error handlers do not know this module's exceptions.
 */
public final class ApprovalRoutes implements HttpService {

    /** Where the ingress mounts this service. */
    public static final String PATH = "/v1/human-approvals";
    /** The caller's identity as the ingress authenticated it; the default {@code approved_by}/{@code rejected_by}. */

    static final String INVALID_ID = "Invalid request ID";
    static final String RETRY_AFTER_SECONDS = "5";

    private final ApprovalService service;

    public ApprovalRoutes(ApprovalService service) {
        this.service = service;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/", this::list)
                .post("/{id}/approve", this::approve)
                .post("/{id}/reject", this::reject)
                .get("/{id}", this::get);
    }

    private void list(ServerRequest req, ServerResponse res) {
        json(res, 200, Map.of("pending_requests", service.pending().stream().map(ApprovalRoutes::view).toList()));
    }

    private void get(ServerRequest req, ServerResponse res) {
        String id = req.path().pathParameters().get("id");
        if (!Ids.isUuid(id)) {
            error(res, 400, INVALID_ID);
            return;
        }
        service.pending(id.toLowerCase()).ifPresentOrElse(
                r -> json(res, 200, Map.of("request", view(r))),
                () -> error(res, 200, ApprovalReply.NOT_FOUND_OR_COMPLETED));
    }

    private void approve(ServerRequest req, ServerResponse res) {
        String id = req.path().pathParameters().get("id");
        if (!Ids.isUuid(id)) {
            error(res, 400, INVALID_ID);
            return;
        }
        try {
            JsonNode body = body(req, false);
            String feedback = optionalString(body, "feedback");
            String by = orSubject(optionalString(body, "approved_by"), req);
            answer(res, service.approve(id.toLowerCase(), feedback, by));
        } catch (Refused e) {
            error(res, 400, e.getMessage());
        } catch (UnavailableException e) {
            unavailable(res);
        }
    }

    private void reject(ServerRequest req, ServerResponse res) {
        String id = req.path().pathParameters().get("id");
        if (!Ids.isUuid(id)) {
            error(res, 400, INVALID_ID);
            return;
        }
        try {
            JsonNode body = body(req, true);
            String reason = optionalString(body, "reason");
            if (reason == null || reason.isBlank()) {
                throw new Refused(ApprovalMachine.MISSING_REASON);
            }
            String by = orSubject(optionalString(body, "rejected_by"), req);
            answer(res, service.reject(id.toLowerCase(), reason, by));
        } catch (Refused e) {
            error(res, 400, e.getMessage());
        } catch (UnavailableException e) {
            unavailable(res);
        }
    }

    private static void answer(ServerResponse res, ApprovalReply reply) {
        if (reply.accepted()) {
            json(res, 200, Map.of("status", reply.status()));
        } else if (ApprovalReply.NOT_FOUND_OR_COMPLETED.equals(reply.error())) {
            error(res, 404, reply.error());
        } else {
            // the owner refused the input itself (it re-checks what this layer checks)
            error(res, 400, reply.error() == null ? "Refused" : reply.error());
        }
    }

    /** The reference's request object plus {@code workflow_execution_id} and {@code state_name}. */
    static Map<String, Object> view(ApprovalRequest r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", r.id());
        m.put("execution_id", r.executionId() != null ? r.executionId() : r.workflowExecutionId());
        m.put("prompt", r.prompt());
        m.put("created_at", r.createdAt());
        m.put("timeout_seconds", r.timeoutSeconds());
        m.put("workflow_execution_id", r.workflowExecutionId());
        m.put("state_name", r.stateName());
        m.values().removeIf(java.util.Objects::isNull);
        return m;
    }

    /** The body as a JSON object; an empty body is an empty object (approve has only optional fields). */
    private static JsonNode body(ServerRequest req, boolean reasonRequired) {
        String text = req.content().hasEntity() ? req.content().as(String.class) : "";
        if (text.isBlank()) {
            if (reasonRequired) {
                throw new Refused(ApprovalMachine.MISSING_REASON);
            }
            return Json.object();
        }
        JsonNode node;
        try {
            node = Json.MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr();
            throw new Refused("Malformed JSON" + where + ": " + e.getOriginalMessage());
        }
        if (node == null || !node.isObject()) {
            throw new Refused("Request body must be a JSON object");
        }
        return node;
    }

    private static String optionalString(JsonNode body, String field) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw new Refused("Field '" + field + "' must be a string");
        }
        return v.asText();
    }

    private static String orSubject(String given, ServerRequest req) {
        if (given != null && !given.isBlank()) {
            return given;
        }
        // the authenticated caller, never a header the caller could set
        return req.context().get(Subject.CONTEXT_KEY, String.class).filter(s -> !s.isBlank()).orElse(null);
    }

    private static void json(ServerResponse res, int status, Object body) {
        res.status(Status.create(status));
        res.headers().contentType(MediaTypes.APPLICATION_JSON);
        res.send(Json.writeBytes(body));
    }

    private static void error(ServerResponse res, int status, String message) {
        json(res, status, Map.of("error", message));
    }

    private static void unavailable(ServerResponse res) {
        res.header(HeaderNames.RETRY_AFTER, RETRY_AFTER_SECONDS);
        error(res, 503, "unavailable");
    }

    /** Input this layer refuses with a 400; caught in the handler, never escapes to the router. */
    private static final class Refused extends RuntimeException {
        Refused(String message) {
            super(message, null, false, false);
        }
    }
}
