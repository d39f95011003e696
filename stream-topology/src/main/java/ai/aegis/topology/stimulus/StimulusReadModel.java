package ai.aegis.topology.stimulus;

import ai.aegis.schemas.stimulus.RoutingMode;
import ai.aegis.schemas.stimulus.StimulusKeys;
import ai.aegis.schemas.stimulus.StimulusOutcome;
import ai.aegis.schemas.stimulus.StimulusReply;
import ai.aegis.schemas.stimulus.StimulusRequest;
import ai.aegis.schemas.stimulus.StimulusStatus;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * A node's view of the latest stimuli, for {@code GET /v1/stimuli/{id}}, {@code GET /v1/stimuli} and the replays:
 * each stimulus as it was received (from the requests topic) and what became of it (from the outcomes topic: the
 * routing decision, or that it was a duplicate). Bounded: it holds the {@code capacity} stimuli received last, and
 * forgets the oldest first; it keeps no content (only its size and where the request lies on its topic, from where
 * a replay reads it back). The two topics are read in no particular order relative to each other, so an outcome may
 * come before its request: the entry is made by whichever comes first. Thread-safe: one tail writes, requests read.
 */
public final class StimulusReadModel {

    /** What a stimulus is shown with. {@code status} null: received, not decided yet (being routed or classified). */
    public record StimulusView(String stimulusId, String source, String idempotencyKey, Instant receivedAt,
                               long contentBytes, String contentEncoding, String replayOf, StimulusStatus status,
                               Instant decidedAt, RoutingMode mode, String workflow, String workflowExecutionId,
                               Double confidence, String routerExecutionId, StimulusReply.ReplyError error,
                               String originalStimulusId, String replayedBy, String recordKey, int requestPartition,
                               long requestOffset) {

        /** Whether its request was seen (then it can be replayed from it). */
        public boolean received() {
            return requestOffset >= 0;
        }

        /** Whether it could not be routed: refused or failed. */
        public boolean failed() {
            return status == StimulusStatus.REFUSED || status == StimulusStatus.FAILED;
        }

        StimulusView withRequest(StimulusRequest r, int partition, long offset) {
            return new StimulusView(stimulusId, r.source(), r.idempotencyKey(), r.receivedAt(), contentBytes(r),
                    r.contentEncoding(), r.replayOf(), status, decidedAt, mode, workflow, workflowExecutionId,
                    confidence, routerExecutionId, error, originalStimulusId, replayedBy, StimulusKeys.recordKey(r),
                    partition, offset);
        }

        StimulusView withOutcome(StimulusOutcome o) {
            return new StimulusView(stimulusId, source != null ? source : o.source(), idempotencyKey, receivedAt,
                    contentBytes, contentEncoding, replayOf, o.outcome(), o.routedAt(), o.mode(), o.workflow(),
                    o.workflowExecutionId(), o.confidence(), o.routerExecutionId(), o.error(),
                    o.originalStimulusId(), replayedBy, recordKey != null ? recordKey : o.dedupKey(),
                    requestPartition, requestOffset);
        }

        StimulusView withReplayedBy(String id) {
            return new StimulusView(stimulusId, source, idempotencyKey, receivedAt, contentBytes, contentEncoding,
                    replayOf, status, decidedAt, mode, workflow, workflowExecutionId, confidence, routerExecutionId,
                    error, originalStimulusId, id, recordKey, requestPartition, requestOffset);
        }

        static StimulusView empty(String stimulusId) {
            return new StimulusView(stimulusId, null, null, null, -1, null, null, null, null, null, null, null, null,
                    null, null, null, null, null, -1, -1);
        }

        private static long contentBytes(StimulusRequest r) {
            if (r.content() == null) {
                return 0;
            }
            if (StimulusRequest.BASE64.equalsIgnoreCase(r.contentEncoding())) {
                String c = r.content();
                int padding = c.endsWith("==") ? 2 : c.endsWith("=") ? 1 : 0;
                return c.length() / 4L * 3 - padding;
            }
            return r.content().getBytes(StandardCharsets.UTF_8).length;
        }
    }

    /**
     * Which stimuli to list. Null fields do not filter.
     *
     * @param status {@code received} (not decided), a {@link StimulusStatus} name, or {@code failed} for refused and
     *               failed together
     * @param since  received at or after
     * @param until  received before
     */
    public record Filter(String source, String status, Instant since, Instant until) {

        public static final Filter ALL = new Filter(null, null, null, null);

        boolean matches(StimulusView v) {
            if (source != null && !source.equals(v.source())) {
                return false;
            }
            if (status != null && !statusMatches(v)) {
                return false;
            }
            if (since != null && (v.receivedAt() == null || v.receivedAt().isBefore(since))) {
                return false;
            }
            return until == null || (v.receivedAt() != null && v.receivedAt().isBefore(until));
        }

        private boolean statusMatches(StimulusView v) {
            return switch (status) {
                case "received" -> v.status() == null;
                case "failed" -> v.failed();
                default -> v.status() != null && v.status().wireName().equals(status);
            };
        }
    }

    private final int capacity;
    /** Insertion order: the oldest first, which is what is forgotten first. */
    private final LinkedHashMap<String, StimulusView> byId = new LinkedHashMap<>();
    private long forgotten;

    /** @param capacity how many stimuli are held (the latest ones) */
    public StimulusReadModel(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("a stimulus view holds at least one stimulus");
        }
        this.capacity = capacity;
    }

    /** A stimulus as received, where its request lies on the requests topic. */
    public synchronized void onRequest(StimulusRequest request, int partition, long offset) {
        Objects.requireNonNull(request, "request");
        String id = request.stimulusId();
        byId.put(id, byId.getOrDefault(id, StimulusView.empty(id)).withRequest(request, partition, offset));
        if (request.replayOf() != null) {
            StimulusView original = byId.get(request.replayOf());
            if (original != null) {
                byId.put(original.stimulusId(), original.withReplayedBy(id));
            }
        }
        trim();
    }

    /** What became of a stimulus; a later outcome of the same stimulus replaces an earlier one. */
    public synchronized void onOutcome(StimulusOutcome outcome) {
        Objects.requireNonNull(outcome, "outcome");
        String id = outcome.stimulusId();
        byId.put(id, byId.getOrDefault(id, StimulusView.empty(id)).withOutcome(outcome));
        trim();
    }

    public synchronized Optional<StimulusView> get(String stimulusId) {
        return Optional.ofNullable(byId.get(stimulusId));
    }

    /** The stimuli that match, the latest received first, at most {@code limit}. */
    public synchronized List<StimulusView> list(Filter filter, int limit) {
        return select(filter::matches, limit);
    }

    /**
     * The stimuli a bulk replay sends again: received (their request was seen), refused or failed, not replayed yet,
     * and matching the filter's source and times; the oldest first, at most {@code limit}.
     */
    public synchronized List<StimulusView> replayable(Filter filter, int limit) {
        Filter bySourceAndTime = new Filter(filter.source(), null, filter.since(), filter.until());
        List<StimulusView> found = new ArrayList<>();
        for (StimulusView v : byId.values()) {
            if (found.size() >= limit) {
                break;
            }
            if (v.received() && v.failed() && v.replayedBy() == null && bySourceAndTime.matches(v)) {
                found.add(v);
            }
        }
        return found;
    }

    /** How many the view holds. */
    public synchronized int size() {
        return byId.size();
    }

    /** How many it forgot to stay within its capacity, since it started. */
    public synchronized long forgotten() {
        return forgotten;
    }

    /** Newest first, stopping at {@code limit}: no copy of the map (the reversed view walks it in place). */
    private List<StimulusView> select(Predicate<StimulusView> keep, int limit) {
        List<StimulusView> found = new ArrayList<>();
        for (StimulusView v : byId.sequencedValues().reversed()) {
            if (found.size() >= limit) {
                break;
            }
            if (keep.test(v)) {
                found.add(v);
            }
        }
        return found;
    }

    private void trim() {
        Iterator<Map.Entry<String, StimulusView>> oldest = byId.entrySet().iterator();
        while (byId.size() > capacity && oldest.hasNext()) {
            oldest.next();
            oldest.remove();
            forgotten++;
        }
    }
}
