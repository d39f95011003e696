package ai.aegis.approval;

import ai.aegis.schemas.approval.ApprovalCommand;
import ai.aegis.schemas.approval.ApprovalDecision;
import ai.aegis.schemas.approval.ApprovalReply;
import ai.aegis.schemas.approval.ApprovalRequest;
import ai.aegis.schemas.approval.ApprovalStatus;
import ai.aegis.topology.timer.Timers;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The rules of one approval as a pure function: (stored {@link Entry} or none, one input, now) to (the entry to
 * store, the records to write, the timers to set and delete). It knows nothing of Kafka; {@link ApprovalTopology}
 * stores the entry, writes the records and keeps the timers, in one transaction.
 *
 * <ul>
 *   <li><b>Request</b>: a new approval is pending, with a timer at its deadline. A request for an id already known
 *       (a replay) changes nothing: it neither resets a pending approval nor re-opens a decided one.
 *   <li><b>Command</b>: the first valid approve or reject of a pending approval decides it: a decision with
 *       {@code response} = the outcome, an accepted reply, and in place of the deadline timer a purge timer at
 *       {@code now + decided retention}. Refused, with a reply and no decision: an unknown decision, a reject
 *       without a reason ({@link #MISSING_REASON}), and any command for an unknown or decided approval
 *       ({@link ApprovalReply#NOT_FOUND_OR_COMPLETED}). A command that finds the deadline passed times the approval
 *       out first, even when the punctuation has not run yet: the deadline, not the punctuation interval, decides.
 *   <li><b>Timer due</b>: a pending approval past its deadline times out (outcome {@code timed_out}, response its
 *       {@code default_response}); a decided one whose retention has passed is forgotten (deleted). Decided entries
 *       are kept that long so that late commands are refused as completed, and a replayed request cannot re-open
 *       them.
 * </ul>
 *
 * <p>A deadline that lies beyond what a long of epoch millis holds never comes: such an approval gets no deadline
 * timer and stays pending until decided.
 */
public final class ApprovalMachine {

    private static final System.Logger LOG = System.getLogger(ApprovalMachine.class.getName());

    /** The refusal of a reject without reason; the HTTP layer answers it too, before sending anything. */
    static final String MISSING_REASON = "Missing required field 'reason'";

    private final Duration decidedRetention;

    /** @param decidedRetention how long a decided approval stays in the store before it is purged */
    public ApprovalMachine(Duration decidedRetention) {
        this.decidedRetention = Objects.requireNonNull(decidedRetention, "decidedRetention");
        if (decidedRetention.isNegative()) {
            throw new IllegalArgumentException("decided retention must not be negative: " + decidedRetention);
        }
    }

    /**
     * What the store holds per approval.
     *
     * @param status    {@link ApprovalStatus#PENDING}, or how it was decided
     * @param decidedAt when it left pending; null while pending
     */
    public record Entry(ApprovalRequest request, ApprovalStatus status, Instant decidedAt) {
        public boolean pending() {
            return status == ApprovalStatus.PENDING;
        }
    }

    /** What may move an approval, keyed by its id: its request, a person's command, or one of its timers. */
    public sealed interface Input permits Request, Command, TimerDue {
    }

    public record Request(ApprovalRequest request) implements Input {
    }

    public record Command(ApprovalCommand command) implements Input {
    }

    /** A timer of this approval is due: its deadline or its purge (the machine tells which from the entry). */
    public record TimerDue() implements Input {
    }

    /** A record to write or a timer to change, in order. */
    public sealed interface Effect permits Decide, Reply, SetTimer, DeleteTimer {
    }

    /** To the decisions topic, keyed by approval id. */
    public record Decide(ApprovalDecision decision) implements Effect {
    }

    /** To the replies topic, keyed by {@code to}: the ingress node that waits for it. */
    public record Reply(String to, ApprovalReply reply) implements Effect {
    }

    /** A timer of this approval at {@code dueMillis}. */
    public record SetTimer(long dueMillis) implements Effect {
    }

    public record DeleteTimer(long dueMillis) implements Effect {
    }

    /**
     * @param entry   the entry to store: the same instance as the one given when it is unchanged, null when the
     *                approval is to be forgotten (deleted) or was never known
     * @param effects the records to write and the timers to change, in order; empty when the input changed nothing
     */
    public record Result(Entry entry, List<Effect> effects) {

        public Result {
            effects = List.copyOf(effects);
        }

        static Result unchanged(Entry entry) {
            return new Result(entry, List.of());
        }
    }

    /**
     * Applies one input.
     *
     * @param id      the approval id, the key the input came with
     * @param current the stored entry of that approval, null when none
     * @param now     the owner's clock: when a command is decided, or when the punctuation fires
     */
    public Result apply(String id, Entry current, Input input, Instant now) {
        return switch (input) {
            case Request r -> request(id, current, r.request());
            case Command c -> command(id, current, c.command(), now);
            case TimerDue ignored -> timerDue(id, current, now);
        };
    }

    /** Millis of the request's deadline; {@link Long#MAX_VALUE} (never) when it lies beyond what a long holds. */
    static long deadlineMillis(ApprovalRequest request) {
        try {
            return Math.max(0, request.deadline().toEpochMilli());
        } catch (ArithmeticException | java.time.DateTimeException e) {
            return Long.MAX_VALUE;
        }
    }

    private Result request(String id, Entry current, ApprovalRequest request) {
        if (request.createdAt() == null || !id.equals(request.id())) {
            LOG.log(System.Logger.Level.WARNING, "skipping approval request " + id
                    + ": created_at missing or id differs from the key");
            return Result.unchanged(current);
        }
        if (current != null) {
            return Result.unchanged(current); // a replay must neither reset a pending one nor re-open a decided one
        }
        long deadline = deadlineMillis(request);
        return new Result(new Entry(request, ApprovalStatus.PENDING, null),
                deadline == Long.MAX_VALUE ? List.of() : List.of(new SetTimer(deadline)));
    }

    private Result command(String id, Entry current, ApprovalCommand command, Instant now) {
        String decision = command.decision();
        boolean approve = ApprovalCommand.APPROVE.equals(decision);
        if (!approve && !ApprovalCommand.REJECT.equals(decision)) {
            return refused(id, current, command, "Unknown decision '" + decision + "'", now);
        }
        if (!approve && (command.reason() == null || command.reason().isBlank())) {
            // The HTTP layer refuses this first; a command written by another producer still gets the answer.
            return refused(id, current, command, MISSING_REASON, now);
        }
        List<Effect> effects = new ArrayList<>();
        Entry entry = current;
        if (entry != null && entry.pending() && deadlineMillis(entry.request()) <= now.toEpochMilli()) {
            // Due but not yet punctuated: the deadline, not the punctuation interval, decides.
            entry = decide(entry, timeout(id, entry.request(), now), effects);
        }
        if (entry == null || !entry.pending()) {
            reply(command, id, false, null, ApprovalReply.NOT_FOUND_OR_COMPLETED, now, effects);
            return new Result(entry, effects);
        }
        ApprovalStatus outcome = approve ? ApprovalStatus.APPROVED : ApprovalStatus.REJECTED;
        ApprovalRequest request = entry.request();
        Entry decided = decide(entry, new ApprovalDecision(id, request.workflowExecutionId(), request.stateName(),
                outcome, approve ? command.feedback() : null, approve ? null : command.reason(),
                command.decidedBy(), outcome.wireName(), now), effects);
        reply(command, id, true, outcome, null, now, effects);
        return new Result(decided, effects);
    }

    private Result timerDue(String id, Entry current, Instant now) {
        if (current == null) {
            return Result.unchanged(null);
        }
        long nowMillis = now.toEpochMilli();
        if (current.pending()) {
            if (deadlineMillis(current.request()) > nowMillis) {
                return Result.unchanged(current);
            }
            List<Effect> effects = new ArrayList<>();
            Entry decided = decide(current, timeout(id, current.request(), now), effects);
            return new Result(decided, effects);
        }
        if (current.decidedAt() != null
                && current.decidedAt().toEpochMilli() + decidedRetention.toMillis() <= nowMillis) {
            return new Result(null, List.of()); // purged: late commands now meet an unknown approval
        }
        return Result.unchanged(current);
    }

    private static ApprovalDecision timeout(String id, ApprovalRequest request, Instant now) {
        return new ApprovalDecision(id, request.workflowExecutionId(), request.stateName(), ApprovalStatus.TIMED_OUT,
                null, null, null, request.defaultResponse(), now);
    }

    /** Decides a pending entry: only the purge timer remains, at {@code decided_at + retention}. */
    private Entry decide(Entry entry, ApprovalDecision decision, List<Effect> effects) {
        long deadline = deadlineMillis(entry.request());
        if (deadline != Long.MAX_VALUE) {
            effects.add(new DeleteTimer(deadline));
        }
        effects.add(new SetTimer(Timers.saturatedAdd(decision.decidedAt().toEpochMilli(),
                decidedRetention.toMillis())));
        effects.add(new Decide(decision));
        return new Entry(entry.request(), decision.outcome(), decision.decidedAt());
    }

    private Result refused(String id, Entry current, ApprovalCommand command, String error, Instant now) {
        List<Effect> effects = new ArrayList<>();
        reply(command, id, false, null, error, now, effects);
        return new Result(current, effects);
    }

    /** Nobody to answer without {@code reply_to}: the decision, if any, is on the decisions topic all the same. */
    private static void reply(ApprovalCommand command, String id, boolean accepted, ApprovalStatus status,
                              String error, Instant now, List<Effect> effects) {
        if (command.replyTo() != null && !command.replyTo().isBlank()) {
            effects.add(new Reply(command.replyTo(), new ApprovalReply(command.commandId(), id, accepted, status,
                    error, now)));
        }
    }
}
