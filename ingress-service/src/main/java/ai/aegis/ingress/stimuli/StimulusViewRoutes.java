package ai.aegis.ingress.stimuli;

import ai.aegis.http.Api;
import ai.aegis.http.JsonBodies;
import ai.aegis.schemas.stimulus.StimulusRequest;
import ai.aegis.schemas.stimulus.StimulusSources;
import ai.aegis.schemas.stimulus.StimulusStatus;
import ai.aegis.topology.kafka.DurablePublisher;
import ai.aegis.topology.readmodel.EventHistory;
import ai.aegis.topology.serde.WireReaders;
import ai.aegis.topology.stimulus.StimulusReadModel;
import ai.aegis.topology.stimulus.StimulusReadModel.Filter;
import ai.aegis.topology.stimulus.StimulusReadModel.StimulusView;
import ai.aegis.topology.workflow.WorkflowReadModel;
import com.fasterxml.jackson.databind.JsonNode;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What became of stimuli, and their replay, under {@code /v1/stimuli}:
 * <ul>
 *   <li>{@code GET /{id}}: the stimulus, its routing decision and its workflow run ({@code 404 stimulus_not_found});
 *   <li>{@code GET /?source=&status=&since=&until=&limit=}: the latest first ({@code status}: {@code received} (not
 *       decided yet), {@code accepted}, {@code duplicate}, {@code refused}, {@code failed} (refused or failed));
 *   <li>{@code POST /{id}/replay}: sends a refused or failed stimulus again, as a new stimulus ({@code replay_of}),
 *       answered as a delivery is (or {@code 202} with {@code Prefer: respond-async});
 *   <li>{@code POST /replay} with {@code {"status": "failed", "source", "since", "until", "limit"}}: replays every
 *       such stimulus not replayed yet, without waiting for their routing, and answers {@code 202} with the list.
 * </ul>
 * The view is this node's ({@link StimulusReadModel}): the latest {@code aegis.ingress.stimuli-in-view} stimuli.
 * The content is not in the view: a replay reads the stimulus back from the requests topic (the node's bounded
 * {@link EventHistory} readers), so one kept a week at most can be replayed.
 */
public final class StimulusViewRoutes implements HttpService {

    /** A list answers at most this many. */
    public static final int MAX_LIST = 500;
    public static final int DEFAULT_LIST = 50;
    /** A bulk replay sends at most this many. */
    public static final int MAX_REPLAY = 1000;
    private static final Set<String> STATUSES = Set.of("received", "accepted", "duplicate", "refused", "failed");

    private final StimulusReadModel stimuli;
    private final WorkflowReadModel runs;
    private final EventHistory history;
    private final String requestsTopic;
    private final StimulusIntake intake;
    private final StimulusIntakeRoutes answers;

    public StimulusViewRoutes(StimulusReadModel stimuli, WorkflowReadModel runs, EventHistory history,
                              String requestsTopic, StimulusIntake intake, StimulusIntakeRoutes answers) {
        this.stimuli = stimuli;
        this.runs = runs;
        this.history = history;
        this.requestsTopic = requestsTopic;
        this.intake = intake;
        this.answers = answers;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/", this::list)
                .post("/replay", this::replayAll)
                .get("/{id}", this::get)
                .post("/{id}/replay", this::replay);
    }

    private void get(ServerRequest req, ServerResponse res) {
        String id = Api.pathParam(req, "id");
        Optional<StimulusView> view = stimuli.get(id);
        if (view.isEmpty()) {
            notFound(res, id);
            return;
        }
        Api.ok(res, json(view.get(), true));
    }

    private void list(ServerRequest req, ServerResponse res) {
        Optional<Filter> filter = filter(res, Api.query(req, "source").orElse(null),
                Api.query(req, "status").orElse(null), Api.query(req, "since").orElse(null),
                Api.query(req, "until").orElse(null));
        if (filter.isEmpty()) {
            return;
        }
        Optional<Integer> limit = limit(res, Api.query(req, "limit").orElse(null), DEFAULT_LIST, MAX_LIST);
        if (limit.isEmpty()) {
            return;
        }
        List<Map<String, Object>> found = new ArrayList<>();
        for (StimulusView v : stimuli.list(filter.get(), limit.get())) {
            found.add(json(v, false));
        }
        Api.ok(res, Map.of("stimuli", found, "count", found.size()));
    }

    private void replay(ServerRequest req, ServerResponse res) {
        String id = Api.pathParam(req, "id");
        Optional<StimulusView> found = stimuli.get(id);
        if (found.isEmpty()) {
            notFound(res, id);
            return;
        }
        StimulusView view = found.get();
        if (!view.failed()) {
            Api.coded(res, 409, "stimulus_not_failed", "Stimulus " + id + " is " + status(view)
                    + ": only a refused or failed stimulus is replayed");
            return;
        }
        if (view.replayedBy() != null) {
            Api.coded(res, 409, "already_replayed", "Stimulus " + id + " was replayed as " + view.replayedBy()
                    + "; replay that one if it failed too");
            return;
        }
        Optional<StimulusRequest> original;
        try {
            original = original(view);
        } catch (EventHistory.Unavailable e) {
            res.header(io.helidon.http.HeaderNames.RETRY_AFTER, Api.RETRY_AFTER_SECONDS);
            Api.coded(res, 503, "stimulus_service_unavailable", "Stimulus " + id + " could not be read back from "
                    + "Kafka now: retry");
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            Api.unavailable(res);
            return;
        }
        if (original.isEmpty()) {
            Api.coded(res, 410, "stimulus_expired", "Stimulus " + id + " is no longer on its topic (kept a week)");
            return;
        }
        answers.respond(res, () -> intake.replay(original.get(), StimulusIntakeRoutes.async(req)), id);
    }

    private void replayAll(ServerRequest req, ServerResponse res) {
        JsonNode body = JsonBodies.object(Api.body(req));
        JsonNode status = body.get("status");
        if (status == null || !status.isTextual() || !status.asText().equals("failed")) {
            Api.coded(res, 400, "invalid_replay", "A bulk replay needs \"status\": \"failed\" (it replays refused and "
                    + "failed stimuli)");
            return;
        }
        Optional<Filter> filter = filter(res, text(body, "source"), null, text(body, "since"), text(body, "until"));
        if (filter.isEmpty()) {
            return;
        }
        JsonNode given = body.get("limit");
        Optional<Integer> limit = limit(res, given == null || given.isNull() ? null : given.asText(), MAX_REPLAY,
                MAX_REPLAY);
        if (limit.isEmpty()) {
            return;
        }
        List<StimulusView> chosen = stimuli.replayable(filter.get(), limit.get() + 1);
        boolean truncated = chosen.size() > limit.get();
        List<Map<String, Object>> replayed = new ArrayList<>();
        List<Map<String, Object>> skipped = new ArrayList<>();
        for (StimulusView v : chosen.subList(0, Math.min(chosen.size(), limit.get()))) {
            try {
                Optional<StimulusRequest> original = original(v);
                if (original.isEmpty()) {
                    skipped.add(Map.of("stimulus_id", v.stimulusId(), "reason", "stimulus_expired"));
                    continue;
                }
                StimulusIntake.Result sent = intake.replay(original.get(), true);
                if (sent instanceof StimulusIntake.Accepted a) {
                    replayed.add(Map.of("stimulus_id", a.stimulusId(), "replay_of", v.stimulusId()));
                }
            } catch (EventHistory.Unavailable | DurablePublisher.UnavailableException e) {
                // what is replayed so far stays replayed; the caller retries the rest (they are not replayed yet)
                res.header(io.helidon.http.HeaderNames.RETRY_AFTER, Api.RETRY_AFTER_SECONDS);
                Api.json(res, 503, replayBody(replayed, skipped, true, "stimulus_service_unavailable"));
                return;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                Api.unavailable(res);
                return;
            }
        }
        Api.json(res, 202, replayBody(replayed, skipped, truncated, null));
    }

    private static Map<String, Object> replayBody(List<Map<String, Object>> replayed,
                                                  List<Map<String, Object>> skipped, boolean truncated,
                                                  String error) {
        Map<String, Object> body = new LinkedHashMap<>();
        if (error != null) {
            body.put("error", error);
            body.put("message", "Kafka did not take every replay; those listed are sent, retry for the rest");
        }
        body.put("replayed", replayed);
        body.put("count", replayed.size());
        body.put("skipped", skipped);
        body.put("truncated", truncated);
        return body;
    }

    /** The stimulus as received, read back from where its request lies; empty when it is gone (retention). */
    private Optional<StimulusRequest> original(StimulusView view) throws EventHistory.Unavailable,
            InterruptedException {
        EventHistory.Page page = history.read(requestsTopic, view.requestPartition(), view.requestOffset(),
                view.requestOffset(), view.recordKey());
        for (EventHistory.Found f : page.records()) {
            StimulusRequest request = WireReaders.STIMULUS_REQUEST.read(f.value());
            if (request.stimulusId().equals(view.stimulusId())) {
                return Optional.of(request);
            }
        }
        return Optional.empty();
    }

    private Map<String, Object> json(StimulusView v, boolean withRun) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("stimulus_id", v.stimulusId());
        out.put("source", v.source());
        putIf(out, "idempotency_key", v.idempotencyKey());
        putIf(out, "received_at", v.receivedAt());
        if (v.contentBytes() >= 0) {
            out.put("content_bytes", v.contentBytes());
            out.put("content_encoding", v.contentEncoding());
        }
        out.put("status", status(v));
        putIf(out, "replay_of", v.replayOf());
        putIf(out, "replayed_by", v.replayedBy());
        putIf(out, "original_stimulus_id", v.originalStimulusId());
        putIf(out, "workflow_execution_id", v.workflowExecutionId());
        if (v.status() != null && v.status() != StimulusStatus.DUPLICATE) {
            Map<String, Object> decision = new LinkedHashMap<>();
            putIf(decision, "mode", v.mode() == null ? null : v.mode().wireName());
            putIf(decision, "workflow", v.workflow());
            putIf(decision, "confidence", v.confidence());
            putIf(decision, "router_execution_id", v.routerExecutionId());
            putIf(decision, "decided_at", v.decidedAt());
            out.put("decision", decision);
        }
        if (v.error() != null) {
            out.put("error", Map.of("code", v.error().code(), "message", v.error().message()));
        }
        if (withRun && v.workflowExecutionId() != null) {
            runs.view(v.workflowExecutionId()).ifPresent(run -> out.put("workflow_execution", Map.of(
                    "workflow_execution_id", run.workflowExecutionId(), "workflow_name", run.workflowName(),
                    "status", run.status().wireName())));
        }
        return out;
    }

    private static String status(StimulusView v) {
        return v.status() == null ? "received" : v.status().wireName();
    }

    private static void putIf(Map<String, Object> out, String name, Object value) {
        if (value != null) {
            out.put(name, value instanceof Instant i ? i.toString() : value);
        }
    }

    private static Optional<Filter> filter(ServerResponse res, String source, String status, String since,
                                           String until) {
        String name = null;
        if (source != null) {
            try {
                name = StimulusSources.normalise(source);
            } catch (IllegalArgumentException e) {
                Api.coded(res, 400, "invalid_source", e.getMessage());
                return Optional.empty();
            }
        }
        if (status != null && !STATUSES.contains(status)) {
            Api.coded(res, 400, "invalid_status", "status must be one of " + new java.util.TreeSet<>(STATUSES));
            return Optional.empty();
        }
        Instant from;
        Instant to;
        try {
            from = since == null ? null : Instant.parse(since);
            to = until == null ? null : Instant.parse(until);
        } catch (DateTimeParseException e) {
            Api.coded(res, 400, "invalid_time", "since and until are RFC 3339 times in UTC, e.g. "
                    + "2026-03-05T14:00:00Z");
            return Optional.empty();
        }
        return Optional.of(new Filter(name, status, from, to));
    }

    private static Optional<Integer> limit(ServerResponse res, String given, int otherwise, int max) {
        if (given == null) {
            return Optional.of(otherwise);
        }
        try {
            int limit = Integer.parseInt(given.trim());
            if (limit >= 1 && limit <= max) {
                return Optional.of(limit);
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        Api.coded(res, 400, "invalid_limit", "limit must be a whole number from 1 to " + max);
        return Optional.empty();
    }

    private static String text(JsonNode body, String field) {
        JsonNode v = body.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    private static void notFound(ServerResponse res, String id) {
        Api.coded(res, 404, "stimulus_not_found", "No stimulus " + id + " in this node's view (it holds the "
                + "latest ones)");
    }
}
