package ai.aegis.approval;

import ai.aegis.http.Api;
import ai.aegis.http.BadRequest;
import ai.aegis.http.JsonBodies;
import ai.aegis.schemas.approval.ApprovalReply;
import ai.aegis.schemas.approval.ApprovalRequest;
import ai.aegis.schemas.auth.Caller;
import ai.aegis.schemas.auth.Subject;
import ai.aegis.schemas.json.Json;
import ai.aegis.topology.kafka.DurablePublisher.UnavailableException;
import com.fasterxml.jackson.databind.JsonNode;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code /v1/human-approvals}, with the reference API's bodies exactly:
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
 * <p>Refused input is thrown as {@link BadRequest} and answered by the shared
 * {@link ai.aegis.http.ErrorHandling}, which the ingress installs in front of every route it mounts; whoever
 * mounts these routes elsewhere installs it too.
 */
public final class ApprovalRoutes implements HttpService {

    /** Where the ingress mounts this service. */
    public static final String PATH = "/v1/human-approvals";

    static final String INVALID_ID = "Invalid request ID";

    private final Approvals service;

    public ApprovalRoutes(Approvals service) {
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
        Api.ok(res, Map.of("pending_requests", service.pending().stream().map(ApprovalRoutes::view).toList()));
    }

    private void get(ServerRequest req, ServerResponse res) {
        String id = Api.uuidParam(req, "id", INVALID_ID);
        // the reference answers an unknown or completed request with 200 and an error body
        service.pending(id).ifPresentOrElse(
                r -> Api.ok(res, Map.of("request", view(r))),
                () -> Api.error(res, 200, ApprovalReply.NOT_FOUND_OR_COMPLETED));
    }

    private void approve(ServerRequest req, ServerResponse res) {
        String id = Api.uuidParam(req, "id", INVALID_ID);
        JsonNode body = bodyOrEmpty(req);
        String feedback = JsonBodies.optionalString(body, "feedback");
        String by = orSubject(JsonBodies.optionalString(body, "approved_by"), req, res);
        if (by == null && res.isSent()) {
            return;
        }
        try {
            answer(res, service.approve(id, feedback, by));
        } catch (UnavailableException e) {
            Api.unavailable(res);
        }
    }

    private void reject(ServerRequest req, ServerResponse res) {
        String id = Api.uuidParam(req, "id", INVALID_ID);
        JsonNode body = bodyOrEmpty(req);
        String reason = JsonBodies.optionalString(body, "reason");
        if (reason == null || reason.isBlank()) {
            throw new BadRequest(ApprovalMachine.MISSING_REASON);
        }
        String by = orSubject(JsonBodies.optionalString(body, "rejected_by"), req, res);
        if (by == null && res.isSent()) {
            return;
        }
        try {
            answer(res, service.reject(id, reason, by));
        } catch (UnavailableException e) {
            Api.unavailable(res);
        }
    }

    private static void answer(ServerResponse res, ApprovalReply reply) {
        if (reply.accepted()) {
            Api.ok(res, Map.of("status", reply.status()));
        } else if (ApprovalReply.NOT_FOUND_OR_COMPLETED.equals(reply.error())) {
            Api.error(res, 404, reply.error());
        } else {
            // the owner refused the input itself (it re-checks what this layer checks)
            Api.error(res, 400, reply.error() == null ? "Refused" : reply.error());
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

    /** The body as a JSON object; an empty body is an empty object (every field of approve is optional). */
    private static JsonNode bodyOrEmpty(ServerRequest req) {
        String text = Api.body(req);
        return text.isBlank() ? Json.object() : JsonBodies.object(text);
    }

    /**
     * Who decides: the authenticated caller, never a header the caller could set. An operator may name someone else
     * (deciding on their behalf); any other caller only themselves, else 403 is answered and null returned.
     */
    private static String orSubject(String given, ServerRequest req, ServerResponse res) {
        String subject = req.context().get(Subject.CONTEXT_KEY, String.class).filter(s -> !s.isBlank())
                .orElse(null);
        if (given == null || given.isBlank()) {
            return subject;
        }
        Caller caller = req.context().get(Caller.CONTEXT_KEY, Caller.class).orElse(null);
        if (caller != null && !caller.operator() && !given.equals(caller.name())) {
            Api.json(res, 403, Map.of("error", "forbidden", "message", caller.name() + " may decide only as "
                    + "themselves; naming someone else needs the role " + Caller.OPERATOR, "required_role",
                    Caller.OPERATOR));
            return null;
        }
        return given;
    }
}
