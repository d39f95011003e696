package ai.aegis.topology.stimulus;

import ai.aegis.schemas.json.WireEnum;
import ai.aegis.schemas.stimulus.StimulusKeys;
import ai.aegis.schemas.stimulus.StimulusOutcome;
import ai.aegis.schemas.stimulus.StimulusReply;
import ai.aegis.schemas.stimulus.StimulusRequest;
import ai.aegis.schemas.stimulus.StimulusStatus;
import ai.aegis.topology.timer.Timers;
import com.fasterxml.jackson.annotation.JsonCreator;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The deduplication of stimuli as a pure function: (stored {@link Entry} of one deduplication key or none, one input,
 * the stream time) to (the entry to store, the records to write, the timers to set and delete). It knows nothing of
 * Kafka; {@link StimulusDedupTopology} stores the entry, writes the records and keeps the timers, in one transaction.
 *
 * <p>An entry is the first stimulus of its window: its id, when it was seen (stream time), and
 * {@link Status#IN_FLIGHT} (being routed), {@link Status#ACCEPTED} or {@link Status#REFUSED}.
 * <ul>
 *   <li><b>Request without idempotency key</b>: always goes on ({@link Forward}); nothing is stored (its key is its
 *       own stimulus id, which nobody sends twice).
 *   <li><b>Request that goes on</b>: no entry; an entry older than the window ({@code first_seen_at + window <= now});
 *       a refused entry (the first delivery was refused, e.g. no route or classification failed: the caller may fix
 *       and retry, which must not be answered as a duplicate of a stimulus that did nothing); or an entry in flight
 *       for the in-flight timeout or longer, which counts as refused. The request is forwarded and becomes the key's
 *       entry, in flight, seen now, with its expiry timer (the previous entry's timer is deleted).
 *   <li><b>Duplicate</b>: an entry in flight (within the in-flight timeout) or accepted, within the window. The
 *       request is answered at once ({@link Reply}, {@link StimulusReply#duplicate}, naming the entry's stimulus) and
 *       not forwarded; the entry is unchanged, so the window still counts from the first delivery. Of two concurrent
 *       deliveries, the first in the partition is the entry and the second meets it in flight.
 *   <li><b>The same stimulus again</b> (the entry's own {@code stimulus_id}, within the window: a record on the topic
 *       twice) changes and writes nothing: it was forwarded once, and its caller is answered by the routing stage.
 *   <li><b>Outcome</b> for the entry's stimulus while in flight: accepted or refused, the window unchanged. Later
 *       ones, outcomes of another stimulus of the key (an older entry, replaced) and outcomes for a key without entry
 *       (a stimulus without idempotency key, or purged) are ignored.
 *   <li><b>Timer due</b>: an entry whose window has passed is deleted (purged); any other is kept.
 * </ul>
 *
 * <p><b>The in-flight timeout</b> (15 minutes by default) bounds how long a
 * routing stage that never answers (it crashed between reading the stimulus and writing its outcome, and lost it;
 * or a bug) holds the key: a retry after that goes on. It must exceed how long routing takes, including the
 * RouterAgent's classification (at most 10 minutes, {@code StimulusRouter.MAX_TIMEOUT_SECONDS}) and the ingress's
 * wait for a reply, since a stimulus whose outcome comes later still is routed all the same: the retry is then routed
 * a second time. Its late outcome is ignored (another stimulus holds the entry).
 *
 * <p>Times are stream time (the records' timestamps, as the topology hands them in), so a restart or a backlog
 * judges each request by when it was sent, not when it was read. {@code replied_at} of a reply comes from the
 * injected clock.
 */
public final class StimulusDedup {

    public static final Duration DEFAULT_WINDOW = Duration.ofHours(24);
    public static final Duration DEFAULT_IN_FLIGHT_TIMEOUT = Duration.ofMinutes(15);

    private final Duration window;
    private final Duration inFlightTimeout;
    private final Clock clock;

    /** Replies stamped by the wall clock, at millisecond precision like every record on the wire. */
    public StimulusDedup(Duration window, Duration inFlightTimeout) {
        this(window, inFlightTimeout, Clock.tick(Clock.systemUTC(), Duration.ofMillis(1)));
    }

    /**
     * @param window          how long a delivery makes later ones with the same key duplicates
     * @param inFlightTimeout after how long a delivery still in flight counts as refused; at most the window
     * @param clock           {@code replied_at} of the replies
     */
    public StimulusDedup(Duration window, Duration inFlightTimeout, Clock clock) {
        this.window = Objects.requireNonNull(window, "window");
        this.inFlightTimeout = Objects.requireNonNull(inFlightTimeout, "inFlightTimeout");
        this.clock = Objects.requireNonNull(clock, "clock");
        if (window.isNegative() || window.isZero()) {
            throw new IllegalArgumentException("deduplication window must be positive: " + window);
        }
        if (inFlightTimeout.isNegative() || inFlightTimeout.isZero() || inFlightTimeout.compareTo(window) > 0) {
            throw new IllegalArgumentException("in-flight timeout must be positive and at most the window ("
                    + window + "): " + inFlightTimeout);
        }
    }

    public static StimulusDedup defaults() {
        return new StimulusDedup(DEFAULT_WINDOW, DEFAULT_IN_FLIGHT_TIMEOUT);
    }

    public Duration window() {
        return window;
    }

    public Duration inFlightTimeout() {
        return inFlightTimeout;
    }

    /** Where the first stimulus of a key stands; written in the store as {@code in_flight}, {@code accepted}... */
    public enum Status implements WireEnum {
        /** Forwarded to the routing stage, no outcome yet. */
        IN_FLIGHT,
        ACCEPTED,
        REFUSED;

        @JsonCreator
        public static Status fromWire(String name) {
            return WireEnum.parse(Status.class, name);
        }
    }

    /**
     * What the store holds per deduplication key.
     *
     * @param stimulusId  the first stimulus of the window
     * @param firstSeenAt when it was read (stream time): the window and the in-flight timeout count from it
     */
    public record Entry(String stimulusId, Instant firstSeenAt, Status status) {
    }

    /** What may move a key's entry: a request, the routing's outcome, or its expiry timer. */
    public sealed interface Input permits Request, Outcome, TimerDue {
    }

    public record Request(StimulusRequest request) implements Input {
    }

    /** Only {@link StimulusStatus#ACCEPTED} and {@link StimulusStatus#REFUSED} move an entry. */
    public record Outcome(StimulusOutcome outcome) implements Input {
    }

    public record TimerDue() implements Input {
    }

    /** A record to write or a timer to change, in order. */
    public sealed interface Effect permits Forward, Reply, Decided, SetTimer, DeleteTimer {
    }

    /**
     * To the outcomes topic, under the request's key: a duplicate, for the readers of decisions (this stage reads it
     * back and ignores it, as it moves no entry).
     */
    public record Decided(StimulusOutcome outcome) implements Effect {
    }

    /** To the accepted topic, under the request's key: it goes on to the routing stage. */
    public record Forward(StimulusRequest request) implements Effect {
    }

    /** To the replies topic, keyed by {@code to}: the ingress node that waits for it. */
    public record Reply(String to, StimulusReply reply) implements Effect {
    }

    /** The key's expiry timer at {@code dueMillis}. */
    public record SetTimer(long dueMillis) implements Effect {
    }

    public record DeleteTimer(long dueMillis) implements Effect {
    }

    /**
     * @param entry   the entry to store: the same instance as the one given when it is unchanged, null when the key
     *                is to be forgotten (deleted) or has nothing to store
     * @param effects the records to write and the timers to change, in order; empty when nothing is written
     */
    public record Result(Entry entry, List<Effect> effects) {

        public Result {
            effects = List.copyOf(effects);
        }

        static Result unchanged(Entry entry) {
            return new Result(entry, List.of());
        }

        public List<StimulusRequest> forwarded() {
            return effects.stream().filter(Forward.class::isInstance).map(e -> ((Forward) e).request()).toList();
        }

        public List<StimulusReply> replies() {
            return effects.stream().filter(Reply.class::isInstance).map(e -> ((Reply) e).reply()).toList();
        }
    }

    /**
     * Applies one input.
     *
     * @param current the stored entry of the key the input came with, null when none
     * @param now     the stream time of the input (of the punctuation, for a timer)
     */
    public Result apply(Entry current, Input input, Instant now) {
        return switch (input) {
            case Request r -> request(current, r.request(), now);
            case Outcome o -> outcome(current, o.outcome());
            case TimerDue ignored -> current != null && expired(current, now) ? new Result(null, List.of())
                    : Result.unchanged(current);
        };
    }

    /** Epoch millis at which the entry's window ends (and its timer is due). */
    public long expiryMillis(Entry entry) {
        return Timers.saturatedAdd(entry.firstSeenAt().toEpochMilli(), window.toMillis());
    }

    /** Whether the entry's window has passed at {@code now}. */
    public boolean expired(Entry entry, Instant now) {
        return now.toEpochMilli() >= expiryMillis(entry);
    }

    /** Whether the entry is in flight for the timeout or longer: its routing is taken to have failed. */
    boolean lapsed(Entry entry, Instant now) {
        return entry.status() == Status.IN_FLIGHT && now.toEpochMilli()
                >= Timers.saturatedAdd(entry.firstSeenAt().toEpochMilli(), inFlightTimeout.toMillis());
    }

    private Result request(Entry current, StimulusRequest request, Instant now) {
        if (request.idempotencyKey() == null) {
            return new Result(current, List.of(new Forward(request)));
        }
        if (current != null && !expired(current, now)) {
            if (current.stimulusId().equals(request.stimulusId())) {
                return Result.unchanged(current); // the same delivery read again: it went on once
            }
            boolean held = current.status() == Status.ACCEPTED
                    || (current.status() == Status.IN_FLIGHT && !lapsed(current, now));
            if (held) {
                return duplicate(current, request);
            }
        }
        List<Effect> effects = new ArrayList<>();
        if (current != null) {
            effects.add(new DeleteTimer(expiryMillis(current)));
        }
        Entry next = new Entry(request.stimulusId(), now, Status.IN_FLIGHT);
        effects.add(new SetTimer(expiryMillis(next)));
        effects.add(new Forward(request));
        return new Result(next, effects);
    }

    /**
     * A duplicate is answered, when somebody waits (nobody without a complete {@code reply_to}), and recorded as
     * decided ({@link Decided}) for the readers of decisions, either way.
     */
    private Result duplicate(Entry current, StimulusRequest request) {
        Instant now = clock.instant();
        List<Effect> effects = new ArrayList<>();
        StimulusRequest.ReplyTo to = request.replyTo();
        if (to != null && to.nodeId() != null && !to.nodeId().isBlank() && to.correlationId() != null) {
            effects.add(new Reply(to.nodeId(), StimulusReply.duplicate(to.correlationId(), request.stimulusId(),
                    current.stimulusId(), now)));
        }
        effects.add(new Decided(StimulusOutcome.duplicate(StimulusKeys.recordKey(request), request.stimulusId(),
                request.source(), current.stimulusId(), now)));
        return new Result(current, effects);
    }

    private Result outcome(Entry current, StimulusOutcome outcome) {
        if (current == null || current.status() != Status.IN_FLIGHT
                || !current.stimulusId().equals(outcome.stimulusId())) {
            return Result.unchanged(current);
        }
        Status status = switch (outcome.outcome()) {
            case ACCEPTED -> Status.ACCEPTED;
            case REFUSED -> Status.REFUSED;
            case null, default -> null;
        };
        return status == null ? Result.unchanged(current)
                : new Result(new Entry(current.stimulusId(), current.firstSeenAt(), status), List.of());
    }
}
