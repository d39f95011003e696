package ai.aegis.topology.workflow;

import java.time.Duration;
import java.util.Objects;

/**
 * How long the workflow engine keeps a finished run in its {@value WorkflowEngineTopology#STORE} store, and how often
 * it looks for runs to purge. The defaults are written here once.
 *
 * @param finishedRetention how long a completed, failed or cancelled run stays in the store after it ended, so that
 *                          late or repeated inputs for it are still recognised (and ignored) against its state; zero
 *                          purges it at the next check
 * @param purgeInterval     period of the wall-clock punctuation that deletes the runs whose retention has passed
 */
public record WorkflowRetention(Duration finishedRetention, Duration purgeInterval) {

    public static final Duration DEFAULT_FINISHED_RETENTION = Duration.ofHours(24);
    /** Purges need no precision: once a minute keeps the scans rare, and each reads only the due timers. */
    public static final Duration DEFAULT_PURGE_INTERVAL = Duration.ofMinutes(1);

    public WorkflowRetention {
        Objects.requireNonNull(finishedRetention, "finishedRetention");
        Objects.requireNonNull(purgeInterval, "purgeInterval");
        if (finishedRetention.isNegative()) {
            throw new IllegalArgumentException("finished retention must not be negative: " + finishedRetention);
        }
        if (purgeInterval.isNegative() || purgeInterval.isZero()) {
            throw new IllegalArgumentException("purge interval must be positive: " + purgeInterval);
        }
    }

    public static WorkflowRetention defaults() {
        return new WorkflowRetention(DEFAULT_FINISHED_RETENTION, DEFAULT_PURGE_INTERVAL);
    }

    /** The default purge interval with this retention. */
    /** {@code aegis.workflows}: {@code finished-retention-ms}, {@code purge-interval-ms}. */
    public static WorkflowRetention read(io.helidon.config.Config workflows) {
        return new WorkflowRetention(
                Duration.ofMillis(workflows.get("finished-retention-ms").asLong()
                        .orElse(DEFAULT_FINISHED_RETENTION.toMillis())),
                Duration.ofMillis(workflows.get("purge-interval-ms").asLong()
                        .orElse(DEFAULT_PURGE_INTERVAL.toMillis())));
    }

    public static WorkflowRetention of(Duration finishedRetention) {
        return new WorkflowRetention(finishedRetention, DEFAULT_PURGE_INTERVAL);
    }
}
