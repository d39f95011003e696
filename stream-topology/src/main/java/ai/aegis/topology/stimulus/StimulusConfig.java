package ai.aegis.topology.stimulus;

import java.time.Duration;
import java.util.Objects;

/**
 * The settings of the stimulus stages (deduplication and routing); the defaults are written here once.
 *
 * @param window          how long a delivery makes later ones with the same source and idempotency key duplicates
 * @param inFlightTimeout after how long a delivery whose routing never answered counts as refused (a retry goes on)
 * @param purgeInterval   period, in stream time, of the punctuation that deletes entries whose window has passed
 * @param commitInterval  how often each stage commits its transaction ({@code commit.interval.ms}): what it wrote
 *                        is visible downstream (read_committed) only then, so a stimulus answered after both stages
 *                        waits up to two intervals; Kafka Streams' exactly-once default of 100 ms is lowered to
 *                        {@link #DEFAULT_COMMIT_INTERVAL}, for callers that wait for the answer
 */
public record StimulusConfig(Duration window, Duration inFlightTimeout, Duration purgeInterval,
                             Duration commitInterval) {

    /**
     * Short, because a webhook's caller waits for two commits; each commit is one transaction (a few round trips),
     * so at most this many a second per stream thread.
     */
    public static final Duration DEFAULT_COMMIT_INTERVAL = Duration.ofMillis(10);

    /** With the default commit interval. */
    public StimulusConfig(Duration window, Duration inFlightTimeout, Duration purgeInterval) {
        this(window, inFlightTimeout, purgeInterval, DEFAULT_COMMIT_INTERVAL);
    }

    /**
     * Purges need no precision, only to keep up: each punctuation deletes at most a batch
     * ({@link StimulusDedupTopology#DEFAULT_PURGE_BATCH}) per partition, so once a second suffices up to that many new
     * keys a second per partition.
     */
    public static final Duration DEFAULT_PURGE_INTERVAL = Duration.ofSeconds(1);

    public StimulusConfig {
        Objects.requireNonNull(window, "window");
        Objects.requireNonNull(inFlightTimeout, "inFlightTimeout");
        Objects.requireNonNull(purgeInterval, "purgeInterval");
        if (purgeInterval.isNegative() || purgeInterval.isZero()) {
            throw new IllegalArgumentException("purge interval must be positive: " + purgeInterval);
        }
        Objects.requireNonNull(commitInterval, "commitInterval");
        if (commitInterval.isNegative() || commitInterval.isZero()) {
            throw new IllegalArgumentException("commit interval must be positive: " + commitInterval);
        }
        new StimulusDedup(window, inFlightTimeout); // the rule checks the other two
    }

    public static StimulusConfig defaults() {
        return new StimulusConfig(StimulusDedup.DEFAULT_WINDOW, StimulusDedup.DEFAULT_IN_FLIGHT_TIMEOUT,
                DEFAULT_PURGE_INTERVAL);
    }

    /**
     * {@code aegis.stimuli}: {@code dedup-window-ms}, {@code in-flight-timeout-ms}, {@code purge-interval-ms},
     * {@code commit-interval-ms}.
     */
    public static StimulusConfig read(io.helidon.config.Config stimuli) {
        return new StimulusConfig(
                Duration.ofMillis(stimuli.get("dedup-window-ms").asLong()
                        .orElse(StimulusDedup.DEFAULT_WINDOW.toMillis())),
                Duration.ofMillis(stimuli.get("in-flight-timeout-ms").asLong()
                        .orElse(StimulusDedup.DEFAULT_IN_FLIGHT_TIMEOUT.toMillis())),
                Duration.ofMillis(stimuli.get("purge-interval-ms").asLong()
                        .orElse(DEFAULT_PURGE_INTERVAL.toMillis())),
                Duration.ofMillis(stimuli.get("commit-interval-ms").asLong()
                        .orElse(DEFAULT_COMMIT_INTERVAL.toMillis())));
    }

    /** The rule with these settings, replies stamped by the wall clock. */
    public StimulusDedup dedup() {
        return new StimulusDedup(window, inFlightTimeout);
    }
}
