package ai.aegis.ingress.stimuli;

import ai.aegis.schemas.json.Json;
import ai.aegis.schemas.stimulus.StimulusKeys;
import ai.aegis.schemas.stimulus.StimulusReply;
import ai.aegis.schemas.stimulus.StimulusRequest;
import ai.aegis.topology.kafka.DurablePublisher;
import ai.aegis.topology.kafka.RecordPublisher;
import ai.aegis.topology.reply.ReplyWaiter;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Takes a stimulus in, for {@code POST /v1/stimuli} and {@code POST /v1/webhooks/{source}} alike: writes it durably to
 * the stimulus requests topic (keyed by its deduplication key, so that one task owns every delivery of a key) and
 * waits, bounded, for the answer of the deduplication or routing stage on the replies topic, addressed to this
 * node. Whichever node the stages run on, the node that took the call answers it.
 */
public final class StimulusIntake {

    /** How a call ended: the reply, or why there is none. */
    public sealed interface Result permits Replied, Accepted, TimedOut {
    }

    /** The stages answered. */
    public record Replied(StimulusReply reply) implements Result {
    }

    /** Durable, and nobody waits ({@code Prefer: respond-async}). */
    public record Accepted(String stimulusId) implements Result {
    }

    /** Durable, but no answer came in time: it is routed anyway; a retry with the same key learns the outcome. */
    public record TimedOut(String stimulusId) implements Result {
    }

    private final RecordPublisher publisher;
    private final String requestsTopic;
    private final ReplyWaiter<StimulusReply> replies;
    private final String nodeId;
    private final Duration replyTimeout;
    private final Clock clock;

    public StimulusIntake(RecordPublisher publisher, String requestsTopic, ReplyWaiter<StimulusReply> replies,
                          String nodeId, Duration replyTimeout, Clock clock) {
        this.publisher = publisher;
        this.requestsTopic = requestsTopic;
        this.replies = replies;
        this.nodeId = nodeId;
        this.replyTimeout = replyTimeout;
        this.clock = clock;
    }

    /**
     * @param source         normalised source name
     * @param idempotencyKey the caller's key, or empty (then never deduplicated)
     * @param base64         whether {@code content} is the base64 of a body that was not UTF-8
     * @param async          answer once the stimulus is durable, without waiting for its routing
     * @throws DurablePublisher.UnavailableException when Kafka did not take it (nothing was accepted)
     */
    public Result take(String source, Optional<String> idempotencyKey, String content, boolean base64,
                       Map<String, String> headers, boolean async) throws DurablePublisher.UnavailableException {
        String stimulusId = UUID.randomUUID().toString();
        StimulusRequest request = new StimulusRequest(stimulusId, source, idempotencyKey.orElse(null), content,
                base64 ? StimulusRequest.BASE64 : StimulusRequest.UTF_8, headers, now(), replyTo(stimulusId, async));
        return send(request, async);
    }

    /**
     * Sends a stimulus again as a new one ({@code replay_of} names it): the same source, idempotency key, content and
     * headers, a new id, received now. It goes through the deduplication like any delivery: a key that another
     * stimulus has used up since is answered as a duplicate, never routed twice in silence.
     *
     * @param original the stimulus as it was received (read back from the requests topic)
     */
    public Result replay(StimulusRequest original, boolean async) throws DurablePublisher.UnavailableException {
        String stimulusId = UUID.randomUUID().toString();
        return send(original.replay(stimulusId, now(), replyTo(stimulusId, async)), async);
    }

    private Result send(StimulusRequest request, boolean async) throws DurablePublisher.UnavailableException {
        String stimulusId = request.stimulusId();
        if (async) {
            publisher.publish(requestsTopic, StimulusKeys.recordKey(request), Json.writeBytes(request),
                    StimulusRequest.CE_TYPE);
            return new Accepted(stimulusId);
        }
        // registered before the write: even an instant answer finds its call
        CompletableFuture<StimulusReply> reply = replies.expect(stimulusId);
        try {
            publisher.publish(requestsTopic, StimulusKeys.recordKey(request), Json.writeBytes(request),
                    StimulusRequest.CE_TYPE);
            return new Replied(reply.get(replyTimeout.toMillis(), TimeUnit.MILLISECONDS));
        } catch (TimeoutException e) {
            return new TimedOut(stimulusId);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new TimedOut(stimulusId);
        } catch (ExecutionException e) {
            throw new IllegalStateException("a stimulus reply completed exceptionally", e.getCause());
        } finally {
            replies.forget(stimulusId);
        }
    }

    private java.time.Instant now() {
        return clock.instant().truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
    }

    private StimulusRequest.ReplyTo replyTo(String stimulusId, boolean async) {
        return async ? null : new StimulusRequest.ReplyTo(nodeId, stimulusId);
    }
}
