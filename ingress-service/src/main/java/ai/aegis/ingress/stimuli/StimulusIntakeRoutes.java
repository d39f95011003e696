package ai.aegis.ingress.stimuli;

import ai.aegis.http.Api;
import ai.aegis.http.JsonBodies;
import ai.aegis.ingress.health.Metrics;
import ai.aegis.ingress.webhook.WebhookDelivery;
import ai.aegis.ingress.webhook.WebhookRefusedException;
import ai.aegis.ingress.webhook.WebhookVerifier;
import ai.aegis.schemas.stimulus.StimulusReply;
import ai.aegis.schemas.stimulus.StimulusRequest;
import ai.aegis.schemas.stimulus.StimulusSources;
import ai.aegis.topology.kafka.DurablePublisher;
import com.fasterxml.jackson.databind.JsonNode;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * {@code POST /v1/stimuli} (bearer token, JSON {@code {source?, content, idempotency_key?}}) and
 * {@code POST /v1/webhooks/{source}} (HMAC only: {@link WebhookVerifier} over the raw body, before any parsing).
 * Both answer once the stimulus is durable and routed: {@code 200 {stimulus_id, workflow_execution_id}},
 * {@code 409 idempotent_duplicate} naming the original stimulus, {@code 422} with the routing's code, {@code 503}
 * with {@code Retry-After} when Kafka did not take it or its routing did not answer in time (it is durable then,
 * and routed anyway). With {@code Prefer: respond-async}: {@code 202 {stimulus_id}} once it is durable. Errors are
 * {@code {"error": code, "message": text}}.
 */
public final class StimulusIntakeRoutes {

    /** The path of the webhooks, which the bearer-token filter leaves to the HMAC check. */
    public static final String WEBHOOKS_PATH = "/v1/webhooks";
    private static final String RETRY_AFTER_ROUTING_SECONDS = "2";

    /** Sources labelled in the metrics at most; the rest are counted under {@code other}. */
    private static final int LABELLED_SOURCES = 256;

    private final StimulusIntake intake;
    private final WebhookVerifier verifier;
    private final SourceRateLimits limits;
    private final Metrics metrics;
    private final java.util.Set<String> labelled = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final java.util.concurrent.atomic.LongAdder routingMillis;
    private final java.util.concurrent.atomic.LongAdder routed;

    /**
     * @param ratePerSecond stimuli each source may send to this node per second (0: no limit)
     * @param ratePerSource the same for named sources
     */
    public StimulusIntakeRoutes(StimulusIntake intake, WebhookVerifier verifier, int ratePerSecond,
                                Map<String, Integer> ratePerSource, Metrics metrics) {
        this.intake = intake;
        this.verifier = verifier;
        this.limits = new SourceRateLimits(ratePerSecond, ratePerSource, 4096);
        this.metrics = metrics;
        this.routingMillis = metrics.counter("aegis_stimulus_routing_milliseconds_sum", "Milliseconds stimuli "
                + "waited for their routing's answer (with _count: the mean).");
        this.routed = metrics.counter("aegis_stimulus_routing_milliseconds_count", "Stimuli answered by their "
                + "routing.");
    }

    /** {@code POST /v1/stimuli}, under {@code /v1/stimuli}. */
    public HttpService stimuli() {
        return rules -> rules.post("/", this::stimulus);
    }

    /** {@code POST /v1/webhooks/{source}}, under {@link #WEBHOOKS_PATH}. */
    public HttpService webhooks() {
        return rules -> rules.post("/{source}", this::webhook);
    }

    private void stimulus(ServerRequest req, ServerResponse res) {
        JsonNode body = JsonBodies.object(Api.body(req));
        String source;
        try {
            JsonNode s = body.get("source");
            source = s == null || s.isNull() ? StimulusRequest.HTTP_API : StimulusSources.normalise(s.asText());
        } catch (IllegalArgumentException e) {
            Api.coded(res, 400, "invalid_source", e.getMessage());
            return;
        }
        JsonNode content = body.get("content");
        if (content == null || content.isNull()) {
            Api.coded(res, 400, "invalid_stimulus", "Missing required field 'content'");
            return;
        }
        JsonNode key = body.get("idempotency_key");
        Optional<String> idempotencyKey = key == null || key.isNull() || key.asText().isEmpty() ? Optional.empty()
                : Optional.of(key.asText());
        if (idempotencyKey.isPresent() && idempotencyKey.get().length() > 256) {
            Api.coded(res, 400, "malformed_idempotency_key", "idempotency_key is longer than 256 characters");
            return;
        }
        take(res, source, idempotencyKey, content.isTextual() ? content.asText() : content.toString(), false,
                Map.of(), async(req));
    }

    private void webhook(ServerRequest req, ServerResponse res) {
        // the raw bytes, before any parsing: they are what was signed
        byte[] raw = req.content().hasEntity() ? req.content().as(byte[].class) : new byte[0];
        WebhookDelivery delivery;
        try {
            delivery = verifier.verify(Api.pathParam(req, "source"),
                    name -> req.headers().first(HeaderNames.create(name)), raw);
        } catch (WebhookRefusedException e) {
            rejected(e.refusal().code());
            Api.json(res, e.refusal().status(), e.refusal().body());
            return;
        }
        take(res, delivery.source(), delivery.idempotencyKey(), delivery.content(), delivery.base64(),
                delivery.headers(), async(req));
    }

    private void take(ServerResponse res, String source, Optional<String> idempotencyKey, String content,
                      boolean base64, Map<String, String> headers, boolean async) {
        if (!limits.tryAcquire(source)) {
            rejected("rate_limited");
            res.header(HeaderNames.RETRY_AFTER, "1");
            Api.coded(res, 429, "rate_limited", "Source '" + source + "' sends more stimuli than its rate limit; "
                    + "retry after a second");
            return;
        }
        metrics.counter("aegis_stimuli_ingested_total", "Stimuli taken in (signature and rate checked), by source.",
                "source", label(source)).increment();
        respond(res, () -> intake.take(source, idempotencyKey, content, base64, headers, async), null);
    }

    /** A call to the intake: it may find Kafka away. */
    @FunctionalInterface
    interface Call {
        StimulusIntake.Result send() throws DurablePublisher.UnavailableException;
    }

    /**
     * Sends a stimulus (a delivery, or a replay: then {@code replayOf} names the original, and the answers carry it)
     * and answers the caller with what came of it.
     */
    void respond(ServerResponse res, Call call, String replayOf) {
        StimulusIntake.Result result;
        long started = System.nanoTime();
        try {
            result = call.send();
        } catch (DurablePublisher.UnavailableException e) {
            rejected("stimulus_service_unavailable");
            res.header(HeaderNames.RETRY_AFTER, Api.RETRY_AFTER_SECONDS);
            Api.coded(res, 503, "stimulus_service_unavailable", "Kafka did not take the stimulus; nothing was "
                    + "accepted: retry");
            return;
        }
        switch (result) {
            case StimulusIntake.Accepted a -> {
                Map<String, Object> body = new LinkedHashMap<>();
                body.put("stimulus_id", a.stimulusId());
                if (replayOf != null) {
                    body.put("replay_of", replayOf);
                }
                Api.json(res, 202, body);
            }
            case StimulusIntake.TimedOut t -> {
                rejected("stimulus_service_unavailable");
                res.header(HeaderNames.RETRY_AFTER, RETRY_AFTER_ROUTING_SECONDS);
                Api.coded(res, 503, "stimulus_service_unavailable", "Stimulus " + t.stimulusId() + " is durable "
                        + "but its routing did not answer in time; it is routed anyway (retry with the same "
                        + "idempotency key to learn how)");
            }
            case StimulusIntake.Replied r -> {
                routingMillis.add((System.nanoTime() - started) / 1_000_000);
                routed.increment();
                if (r.reply().outcome() != ai.aegis.schemas.stimulus.StimulusStatus.ACCEPTED) {
                    rejected(code(r.reply(), r.reply().outcome().name().toLowerCase(java.util.Locale.ROOT)));
                }
                answer(res, r.reply(), replayOf);
            }
        }
    }

    private void rejected(String reason) {
        metrics.counter("aegis_stimuli_rejected_total", "Stimuli and webhooks refused, by reason (the answer's "
                + "error code).", "reason", reason).increment();
    }

    /** The source as a metrics label: its own for the first few hundred, {@code other} after. */
    private String label(String source) {
        if (labelled.contains(source)) {
            return source;
        }
        if (labelled.size() < LABELLED_SOURCES) {
            labelled.add(source);
            return source;
        }
        return "other";
    }

    private static void answer(ServerResponse res, StimulusReply reply, String replayOf) {
        switch (reply.outcome()) {
            case ACCEPTED -> {
                Map<String, Object> body = new LinkedHashMap<>();
                body.put("stimulus_id", reply.stimulusId());
                body.put("workflow_execution_id", reply.workflowExecutionId());
                if (replayOf != null) {
                    body.put("replay_of", replayOf);
                }
                Api.json(res, 200, body);
            }
            case DUPLICATE -> refusal(res, 409, StimulusReply.IDEMPOTENT_DUPLICATE, reply.error() != null
                    ? reply.error().message() : "Already processed as stimulus " + reply.originalStimulusId(), reply,
                    replayOf);
            case REFUSED -> refusal(res, 422, code(reply, "classification_failed"), message(reply), reply, replayOf);
            case FAILED -> refusal(res, 500, code(reply, "workflow_error"), message(reply), reply, replayOf);
        }
    }

    /**
     * {@code {"error", "message"}} as every error, plus the {@code stimulus_id} (and {@code replay_of}), so that the
     * caller can look the stimulus up or replay it.
     */
    private static void refusal(ServerResponse res, int status, String code, String message, StimulusReply reply,
                                String replayOf) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", code);
        body.put("message", message);
        body.put("stimulus_id", reply.stimulusId());
        if (replayOf != null) {
            body.put("replay_of", replayOf);
        }
        Api.json(res, status, body);
    }

    private static String code(StimulusReply reply, String otherwise) {
        return reply.error() == null ? otherwise : reply.error().code();
    }

    private static String message(StimulusReply reply) {
        return reply.error() == null ? "Stimulus " + reply.stimulusId() + " was not routed" : reply.error().message();
    }

    /** Whether the caller asked not to wait for the routing ({@code Prefer: respond-async}). */
    static boolean async(ServerRequest req) {
        return req.headers().first(HeaderNames.create("Prefer"))
                .map(p -> p.toLowerCase(java.util.Locale.ROOT).contains("respond-async")).orElse(false);
    }
}
