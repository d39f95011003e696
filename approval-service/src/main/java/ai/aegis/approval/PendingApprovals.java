package ai.aegis.approval;

import ai.aegis.schemas.approval.ApprovalDecision;
import ai.aegis.schemas.approval.ApprovalRequest;
import ai.aegis.schemas.workflow.WorkflowManifests;
import ai.aegis.topology.serde.WireReaders;
import org.apache.kafka.clients.consumer.ConsumerRecord;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * This node's view of the approvals still open, folded from the requests and decisions topics by one
 * {@link ai.aegis.topology.tail.TopicTail}: pending = requested, not decided, and not past its deadline. The two
 * topics carry no order between each other, so a decision read before its request still closes it. The view is
 * rebuilt from the topics at every start; the owner's store stays the authority for decisions.
 *
 * <p><b>Forgetting decided ids.</b> A decided id is remembered only so that its request, read later (the other
 * topic, or a copy), is not reopened. That is needed while such a request could still be open: until its deadline.
 * So a decided id is forgotten at {@code max(decided_at + decided retention, the request's deadline)}. When the
 * decision is read before its request, the deadline is unknown; the engine, the only writer of requests, caps a
 * Human state's timeout at {@link WorkflowManifests#MAX_HUMAN_TIMEOUT}, so the id is kept until {@code decided_at}
 * plus the longer of the retention and that cap, and the bound tightens once the request arrives. Ids are pruned on
 * the write path, as records arrive (no timer thread), in order of that time (a sorted set, since decisions of
 * different partitions, replayed at start, do not arrive in time order). A request already past its deadline when
 * it is read is not kept at all: it can never be listed again.
 */
public final class PendingApprovals {

    /**
     * How long a decided id is kept when its request has not been read: the longest timeout a request can have, and
     * an hour for skew between the engine's clock ({@code created_at}) and the owner's ({@code decided_at}).
     */
    static final Duration UNKNOWN_REQUEST_HOLD = WorkflowManifests.MAX_HUMAN_TIMEOUT.plusHours(1);

    private final String requestsTopic;
    private final String decisionsTopic;
    private final Duration decidedRetention;
    private final Clock clock;
    /** Read by HTTP threads, written by the tail's thread. */
    private final Map<String, ApprovalRequest> pending = new ConcurrentHashMap<>();
    /** Decided ids; touched only by the tail's thread, like {@link #forgetOrder}. */
    private final Map<String, Decided> decided = new HashMap<>();
    /** The same entries ordered by when they are forgotten, so that pruning reads only the due ones. */
    private final TreeSet<Decided> forgetOrder = new TreeSet<>(
            Comparator.comparing(Decided::forgetAt).thenComparing(Decided::id));

    /** A decided id, its decision time, and when it may be forgotten. */
    private record Decided(String id, Instant decidedAt, Instant forgetAt) {
    }

    /** With the default decided retention and the system clock. */
    public PendingApprovals(String requestsTopic, String decisionsTopic) {
        this(requestsTopic, decisionsTopic, ApprovalConfig.DEFAULT_DECIDED_RETENTION, Clock.systemUTC());
    }

    /**
     * @param decidedRetention how long, at least, a decided id is remembered after its decision
     *                         ({@link ApprovalConfig#decidedRetention()})
     * @param clock            the clock deadlines and retention are measured on; the one whose instants
     *                         {@link #list} and {@link #get} are called with
     */
    public PendingApprovals(String requestsTopic, String decisionsTopic, Duration decidedRetention, Clock clock) {
        this.requestsTopic = Objects.requireNonNull(requestsTopic, "requestsTopic");
        this.decisionsTopic = Objects.requireNonNull(decisionsTopic, "decisionsTopic");
        this.decidedRetention = Objects.requireNonNull(decidedRetention, "decidedRetention");
        this.clock = Objects.requireNonNull(clock, "clock");
        if (decidedRetention.isNegative()) {
            throw new IllegalArgumentException("decided retention must not be negative: " + decidedRetention);
        }
    }

    /**
     * The tail's handler; called on one thread.
     *
     * @throws ai.aegis.topology.serde.MalformedRecordException when the record is not a complete request or
     *                                                          decision (no key, a tombstone, another shape): the
     *                                                          view is unchanged and the tail dead-letters it
     */
    public void onRecord(ConsumerRecord<String, byte[]> record) {
        Instant now = clock.instant();
        prune(now);
        String id = WireReaders.key(record).toLowerCase();
        if (decisionsTopic.equals(record.topic())) {
            Instant decidedAt = decidedAt(WireReaders.APPROVAL_DECISION.read(record.value()), record, now);
            ApprovalRequest request = pending.remove(id);
            Instant until = request == null ? plus(decidedAt, UNKNOWN_REQUEST_HOLD) : deadline(request);
            Decided before = decided.get(id);
            Instant forgetAt = latest(plus(decidedAt, decidedRetention), until);
            if (before != null) {
                forgetAt = latest(forgetAt, before.forgetAt()); // a repeated decision never shortens the memory
            }
            remember(new Decided(id, decidedAt, forgetAt));
        } else if (requestsTopic.equals(record.topic())) {
            ApprovalRequest request = WireReaders.APPROVAL_REQUEST.read(record.value());
            Decided closed = decided.get(id);
            if (closed != null) {
                // Its deadline is known now: no copy of this request can be open after it.
                remember(new Decided(id, closed.decidedAt(),
                        latest(plus(closed.decidedAt(), decidedRetention), deadline(request))));
            } else if (deadline(request).isAfter(now)) {
                pending.putIfAbsent(id, request);
            }
        }
    }

    /** Open requests at {@code now}, oldest first. */
    public List<ApprovalRequest> list(Instant now) {
        return pending.values().stream()
                .filter(r -> open(r, now))
                .sorted(Comparator.comparing(ApprovalRequest::createdAt).thenComparing(ApprovalRequest::id))
                .toList();
    }

    public Optional<ApprovalRequest> get(String id, Instant now) {
        return Optional.ofNullable(pending.get(id.toLowerCase())).filter(r -> open(r, now));
    }

    /** How many decided ids this view remembers (the tests check that it stays bounded); call on the tail's thread. */
    int decidedCount() {
        return decided.size();
    }

    /** Whether this decided id is still remembered; call on the tail's thread. */
    boolean remembersDecision(String id) {
        return decided.containsKey(id.toLowerCase());
    }

    private void remember(Decided entry) {
        Decided previous = decided.put(entry.id(), entry);
        if (previous != null) {
            forgetOrder.remove(previous);
        }
        forgetOrder.add(entry);
    }

    private void prune(Instant now) {
        while (!forgetOrder.isEmpty() && !forgetOrder.first().forgetAt().isAfter(now)) {
            decided.remove(forgetOrder.pollFirst().id());
        }
    }

    /** The decision's {@code decided_at}, else the record timestamp, else now. */
    private static Instant decidedAt(ApprovalDecision decision, ConsumerRecord<String, byte[]> record, Instant now) {
        if (decision.decidedAt() != null) {
            return decision.decidedAt();
        }
        return record.timestamp() >= 0 ? Instant.ofEpochMilli(record.timestamp()) : now;
    }

    private static Instant deadline(ApprovalRequest request) {
        return Instant.ofEpochMilli(ApprovalMachine.deadlineMillis(request));
    }

    /** Saturating: a nonsensical {@code decided_at} near the end of time must not throw on the tail's thread. */
    private static Instant plus(Instant at, Duration d) {
        try {
            return at.plus(d);
        } catch (java.time.DateTimeException | ArithmeticException e) {
            return Instant.MAX;
        }
    }

    private static Instant latest(Instant a, Instant b) {
        return a.isAfter(b) ? a : b;
    }

    /** A request past its deadline is "expired" for readers even before the owner's punctuation decided it. */
    private static boolean open(ApprovalRequest r, Instant now) {
        return ApprovalMachine.deadlineMillis(r) > now.toEpochMilli();
    }
}
