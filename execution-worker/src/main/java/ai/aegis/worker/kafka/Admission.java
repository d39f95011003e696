package ai.aegis.worker.kafka;

import java.util.Optional;

/**
 * What a worker does with a request it was delivered, from what the events topic says of its execution: nothing
 * (it has ended), give up (it was attempted too often), or run it as the next attempt. Pure logic.
 */
final class Admission {

    /** The decision. */
    sealed interface Decision permits Ended, GiveUp, Run {
    }

    /** A terminal event is on the topic: acknowledge the request, never run it again. */
    record Ended(int attempt) implements Decision {
    }

    /** Run {@code attempt} would be one too many: end the execution as failed instead of running it. */
    record GiveUp(int attempt) implements Decision {
    }

    /** Run the execution as attempt {@code attempt}. */
    record Run(int attempt) implements Decision {
    }

    private Admission() {
    }

    /**
     * @param deliveryCount how often the share group has delivered this record (1 the first time); each lost or
     *                      handed-over run counts one
     * @param known         what the events topic says of the execution, empty when nothing
     * @param maxAttempts   how many runs an execution may have
     */
    static Decision decide(int deliveryCount, Optional<AttemptLedger.Known> known, int maxAttempts) {
        if (known.isPresent() && known.get().ended()) {
            return new Ended(known.get().attempt());
        }
        // The delivery count numbers the runs of this record; an execution that already has events of attempt n
        // (its record written twice, or a share group whose state was reset) goes on at n + 1 whatever the count.
        int attempt = Math.max(Math.max(1, deliveryCount), known.map(k -> k.attempt() + 1).orElse(1));
        return attempt > maxAttempts ? new GiveUp(attempt) : new Run(attempt);
    }
}
