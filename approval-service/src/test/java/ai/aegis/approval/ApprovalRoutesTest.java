package ai.aegis.approval;

import ai.aegis.http.ErrorHandling;
import ai.aegis.schemas.approval.ApprovalReply;
import ai.aegis.schemas.approval.ApprovalStatus;
import ai.aegis.schemas.approval.ApprovalRequest;
import ai.aegis.schemas.auth.Subject;
import ai.aegis.schemas.json.Json;
import ai.aegis.topology.kafka.DurablePublisher.UnavailableException;
import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.webclient.http1.Http1ClientRequest;
import io.helidon.webclient.http1.Http1ClientResponse;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.testing.junit5.DirectClient;
import io.helidon.webserver.testing.junit5.RoutingTest;
import io.helidon.webserver.testing.junit5.SetUpRoute;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code /v1/human-approvals} in memory, mounted the way the ingress mounts it (behind the shared error handling,
 * with the caller in the request context), on an in-memory approval service: every refusal with its exact status
 * and body, and that refused input never reaches the service. The same routes on a real broker:
 * {@link ApprovalServiceTest}.
 */
@RoutingTest
class ApprovalRoutesTest {

    private static final String NOT_FOUND = "{\"error\":\"Request not found or already completed\"}";
    private static final String INVALID_ID = "{\"error\":\"Invalid request ID\"}";
    private static final InMemoryApprovals APPROVALS = new InMemoryApprovals();

    private final DirectClient client;

    ApprovalRoutesTest(DirectClient client) {
        this.client = client;
    }

    @SetUpRoute
    static void routing(HttpRouting.Builder routing) {
        ErrorHandling.install(routing);
        // stands in for the ingress's authentication, which puts the caller into the request context
        routing.addFilter((chain, req, res) -> {
            req.headers().first(HeaderNames.create("X-Test-Subject"))
                    .ifPresent(s -> req.context().register(Subject.CONTEXT_KEY, s));
            chain.proceed();
        });
        routing.register(ApprovalRoutes.PATH, new ApprovalRoutes(APPROVALS));
    }

    @BeforeEach
    void reset() {
        APPROVALS.reset();
    }

    @Test
    void listAndGetAnswerTheReferenceBodies() {
        ApprovalRequest r = APPROVALS.open(UUID.randomUUID().toString());
        String view = Json.write(ApprovalRoutes.view(r));

        send(Method.GET, "", null, null).assertJson(200, "{\"pending_requests\":[" + view + "]}");
        send(Method.GET, "/" + r.id(), null, null).assertJson(200, "{\"request\":" + view + "}");
        send(Method.GET, "/" + r.id().toUpperCase(), null, null).assertJson(200, "{\"request\":" + view + "}");
        // the reference answers an unknown request with 200 and an error body
        send(Method.GET, "/" + UUID.randomUUID(), null, null).assertJson(200, NOT_FOUND);
        send(Method.GET, "/not-a-uuid", null, null).assertJson(400, INVALID_ID);
    }

    @Test
    void badApproveInputIsRefusedAndNothingIsAsked() {
        String id = APPROVALS.open(null).id();

        send(Method.POST, "/nope/approve", "{}", null).assertJson(400, INVALID_ID);
        Reply malformed = send(Method.POST, "/" + id + "/approve", "{\"feedback\":", null);
        malformed.assertStatus(400);
        assertThat(malformed.json().path("error").asText()).startsWith("Malformed JSON at line 1");
        send(Method.POST, "/" + id + "/approve", "{\"approved_by\":42}", null)
                .assertJson(400, "{\"error\":\"Field 'approved_by' must be a string\"}");
        send(Method.POST, "/" + id + "/approve", "{\"feedback\":[1]}", null)
                .assertJson(400, "{\"error\":\"Field 'feedback' must be a string\"}");
        send(Method.POST, "/" + id + "/approve", "[]", null)
                .assertJson(400, "{\"error\":\"Request body must be a JSON object\"}");

        assertThat(APPROVALS.calls).isEmpty();
    }

    @Test
    void badRejectInputIsRefusedAndNothingIsAsked() {
        String path = "/" + APPROVALS.open(null).id() + "/reject";

        send(Method.POST, "/nope/reject", "{\"reason\":\"no\"}", null).assertJson(400, INVALID_ID);
        send(Method.POST, path, null, null).assertJson(400, "{\"error\":\"Missing required field 'reason'\"}");
        send(Method.POST, path, "{}", null).assertJson(400, "{\"error\":\"Missing required field 'reason'\"}");
        send(Method.POST, path, "{\"reason\":\"  \"}", null)
                .assertJson(400, "{\"error\":\"Missing required field 'reason'\"}");
        send(Method.POST, path, "{\"reason\":7}", null)
                .assertJson(400, "{\"error\":\"Field 'reason' must be a string\"}");
        send(Method.POST, path, "{\"reason\":\"no\",\"rejected_by\":false}", null)
                .assertJson(400, "{\"error\":\"Field 'rejected_by' must be a string\"}");
        send(Method.POST, path, "[]", null).assertJson(400, "{\"error\":\"Request body must be a JSON object\"}");
        assertThat(send(Method.POST, path, "{\"reason\"", null).json().path("error").asText())
                .startsWith("Malformed JSON");

        assertThat(APPROVALS.calls).isEmpty();
    }

    @Test
    void decisionsNameTheCallerUnlessTheBodyDoes() {
        String first = APPROVALS.open(null).id();
        String second = APPROVALS.open(null).id();
        String third = APPROVALS.open(null).id();

        send(Method.POST, "/" + first + "/approve", null, "alice").assertJson(200, "{\"status\":\"approved\"}");
        send(Method.POST, "/" + second + "/approve", "{\"feedback\":\"ok\",\"approved_by\":\"bob\"}", "alice")
                .assertJson(200, "{\"status\":\"approved\"}");
        send(Method.POST, "/" + third.toUpperCase() + "/reject", "{\"reason\":\"thin\"}", "carol")
                .assertJson(200, "{\"status\":\"rejected\"}");

        assertThat(APPROVALS.calls).containsExactly("approve " + first + " null alice",
                "approve " + second + " ok bob", "reject " + third + " thin carol");
    }

    @Test
    void decidingAnUnknownOrCompletedRequestIs404() {
        String id = APPROVALS.open(null).id();
        send(Method.POST, "/" + id + "/approve", null, null).assertJson(200, "{\"status\":\"approved\"}");

        send(Method.POST, "/" + id + "/approve", null, null).assertJson(404, NOT_FOUND);
        send(Method.POST, "/" + id + "/reject", "{\"reason\":\"late\"}", null).assertJson(404, NOT_FOUND);
        send(Method.GET, "/" + id, null, null).assertJson(200, NOT_FOUND);
    }

    @Test
    void noAnswerInTimeIs503WithRetryAfter() {
        String id = APPROVALS.open(null).id();
        APPROVALS.unavailable = true;

        for (Reply r : List.of(send(Method.POST, "/" + id + "/approve", "{}", null),
                send(Method.POST, "/" + id + "/reject", "{\"reason\":\"no\"}", null))) {
            r.assertJson(503, "{\"error\":\"unavailable\"}");
            assertThat(r.retryAfter).isEqualTo("5");
        }
    }

    @Test
    void theOwnersOwnRefusalIsA400WithItsReason() {
        String id = APPROVALS.open(null).id();
        APPROVALS.refusal = Optional.of("Missing required field 'reason'");
        send(Method.POST, "/" + id + "/reject", "{\"reason\":\"x\"}", null)
                .assertJson(400, "{\"error\":\"Missing required field 'reason'\"}");

        APPROVALS.refusal = Optional.empty();
        send(Method.POST, "/" + id + "/approve", null, null).assertJson(400, "{\"error\":\"Refused\"}");
    }

    // ---------------------------------------------------------------- helpers

    /** @param body null sends no entity at all */
    private Reply send(Method method, String path, String body, String subject) {
        Http1ClientRequest req = client.method(method).uri(ApprovalRoutes.PATH + path);
        if (body != null) {
            req.header(HeaderNames.CONTENT_TYPE, "application/json");
        }
        if (subject != null) {
            req.header(HeaderNames.create("X-Test-Subject"), subject);
        }
        try (Http1ClientResponse res = body == null ? req.request() : req.submit(body)) {
            return new Reply(method + " " + path, res.status().code(),
                    res.headers().first(HeaderNames.CONTENT_TYPE).orElse(""),
                    res.headers().first(HeaderNames.RETRY_AFTER).orElse(null),
                    res.entity().hasEntity() ? res.as(String.class) : "");
        }
    }

    private record Reply(String request, int status, String contentType, String retryAfter, String body) {

        com.fasterxml.jackson.databind.JsonNode json() {
            return Json.tree(body);
        }

        void assertStatus(int expected) {
            assertThat(status).as("status of %s, body %s", request, body).isEqualTo(expected);
            assertThat(contentType).as("content type of %s", request).startsWith("application/json");
        }

        void assertJson(int expected, String expectedJson) {
            assertStatus(expected);
            assertThat(json()).as("body of %s", request).isEqualTo(Json.tree(expectedJson));
        }
    }

    /**
     * The approval service in memory: open requests in a map, decided by the first approve or reject; it can
     * also not answer in time, or refuse as the owner does. Remembers every call it was asked.
     */
    private static final class InMemoryApprovals implements Approvals {

        private final Map<String, ApprovalRequest> open = new ConcurrentHashMap<>();
        final List<String> calls = new CopyOnWriteArrayList<>();
        volatile boolean unavailable;
        /** When set, the owner refuses every decision with this error (empty: with none). */
        volatile Optional<String> refusal;
        private long age = 1000;

        void reset() {
            open.clear();
            calls.clear();
            unavailable = false;
            refusal = null;
        }

        ApprovalRequest open(String executionId) {
            ApprovalRequest r = new ApprovalRequest(UUID.randomUUID().toString(), UUID.randomUUID().toString(),
                    "Review", executionId, "Approve the draft?", Instant.parse("2025-01-01T00:00:00Z")
                    .plusSeconds(age++), 3600, null);
            open.put(r.id(), r);
            return r;
        }

        @Override
        public List<ApprovalRequest> pending() {
            List<ApprovalRequest> all = new ArrayList<>(open.values());
            all.sort(java.util.Comparator.comparing(ApprovalRequest::createdAt));
            return all;
        }

        @Override
        public Optional<ApprovalRequest> pending(String approvalId) {
            return Optional.ofNullable(open.get(approvalId));
        }

        @Override
        public ApprovalReply approve(String approvalId, String feedback, String approvedBy)
                throws UnavailableException {
            return decide("approve", ApprovalStatus.APPROVED, approvalId, feedback, approvedBy);
        }

        @Override
        public ApprovalReply reject(String approvalId, String reason, String rejectedBy) throws UnavailableException {
            return decide("reject", ApprovalStatus.REJECTED, approvalId, reason, rejectedBy);
        }

        private ApprovalReply decide(String call, ApprovalStatus outcome, String approvalId, String text, String by)
                throws UnavailableException {
            calls.add(call + " " + approvalId + " " + text + " " + by);
            if (unavailable) {
                throw new UnavailableException("no answer from the owner (in-memory test)", null);
            }
            if (refusal != null) {
                return reply(approvalId, false, null, refusal.orElse(null));
            }
            if (open.remove(approvalId) == null) {
                return reply(approvalId, false, null, ApprovalReply.NOT_FOUND_OR_COMPLETED);
            }
            return reply(approvalId, true, outcome, null);
        }

        private static ApprovalReply reply(String approvalId, boolean accepted, ApprovalStatus status,
                                           String error) {
            return new ApprovalReply(UUID.randomUUID().toString(), approvalId, accepted, status, error,
                    Instant.now());
        }
    }
}
