package ai.aegis.schemas.stimulus;

import ai.aegis.schemas.topic.CloudEventHeaders;

import java.time.Instant;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * A stimulus as the ingress received it ({@code POST /v1/webhooks/{source}}, {@code POST /v1/stimuli}), on the
 * stimulus requests topic keyed by {@link StimulusKeys#recordKey}: the deduplication key when it carries an
 * idempotency key, else its stimulus id. The deduplication stage forwards it unchanged to the accepted topic (same
 * key) or answers it as a duplicate; the routing stage answers the rest. The ingress waits for a
 * {@link StimulusReply} with {@code reply_to.correlation_id}.
 *
 * @param stimulusId      fresh id of this delivery (UUID); a retry of the same event is a new stimulus
 * @param source          the webhook's {@code {source}} ({@link StimulusSources#normalise}), or {@link #HTTP_API}
 * @param idempotencyKey  the caller's key for this event, or null: then the stimulus is never deduplicated
 * @param content         the body: as text ({@link #UTF_8}) or base64 of its bytes ({@link #BASE64}); may be empty
 * @param contentEncoding {@link #UTF_8} or {@link #BASE64}
 * @param headers         the request headers the routing may look at (names in lower case); may be empty
 * @param receivedAt      when the ingress received the call
 * @param replyTo         where to answer; null when nobody waits (then no reply is written)
 * @param replayOf        set on a replay ({@code POST /v1/stimuli/{id}/replay}): the stimulus it sends again, with
 *                        the same source, key, content and headers; null for a delivery from outside
 */
public record StimulusRequest(String stimulusId, String source, String idempotencyKey, String content,
                              String contentEncoding, Map<String, String> headers, Instant receivedAt,
                              ReplyTo replyTo, String replayOf) {

    public static final String CE_TYPE = CloudEventHeaders.type("stimulus", "stimulus_received");
    /** The {@code ce_type} of the same record on the accepted topic: it passed the deduplication. */
    public static final String CE_ACCEPTED = CloudEventHeaders.type("stimulus", "stimulus_accepted");

    /** The source of {@code POST /v1/stimuli}; a webhook source must not be named so (the ingress refuses it). */
    public static final String HTTP_API = "http_api";
    public static final String UTF_8 = "utf-8";
    public static final String BASE64 = "base64";

    public StimulusRequest {
        // sorted, so that the same request is always written as the same bytes
        headers = headers == null ? null : Collections.unmodifiableMap(new TreeMap<>(headers));
    }

    /** A delivery from outside (not a replay). */
    public StimulusRequest(String stimulusId, String source, String idempotencyKey, String content,
                           String contentEncoding, Map<String, String> headers, Instant receivedAt, ReplyTo replyTo) {
        this(stimulusId, source, idempotencyKey, content, contentEncoding, headers, receivedAt, replyTo, null);
    }

    /** The same stimulus under another source (normalised), everything else kept. */
    public StimulusRequest withSource(String source) {
        return new StimulusRequest(stimulusId, source, idempotencyKey, content, contentEncoding, headers, receivedAt,
                replyTo, replayOf);
    }

    /** A replay of this stimulus: a new id, received now, answered to {@code replyTo} (may be null). */
    public StimulusRequest replay(String newStimulusId, Instant now, ReplyTo replyTo) {
        return new StimulusRequest(newStimulusId, source, idempotencyKey, content, contentEncoding, headers, now,
                replyTo, stimulusId);
    }

    /**
     * The ingress node that waits for the answer and the id it waits under.
     *
     * @param nodeId        the key of the reply record
     * @param correlationId carried back in {@link StimulusReply#correlationId()}
     */
    public record ReplyTo(String nodeId, String correlationId) {
    }
}
