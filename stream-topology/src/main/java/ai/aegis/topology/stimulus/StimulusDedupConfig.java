package ai.aegis.topology.stimulus;

import java.time.Duration;
import java.util.Objects;

/**
 * The settings of the stimulus deduplication stage; the defaults are written here once.
 *
 * @param window          how long a delivery makes later ones with the same source and idempotency key duplicates
 * @param inFlightTimeout after how long a delivery whose routing never answered counts as refused (a retry goes on)
 * @param purgeInterval   period, in stream time, of the punctuation that deletes entries whose window has passed
 */
public record StimulusDedupConfig(Duration window, Duration inFlightTimeout, Duration purgeInterval) {

    /**
     * Purges need no precision, only to keep up: each punctuation deletes at most a batch
     * ({@link StimulusDedupTopology#DEFAULT_PURGE_BATCH}) per partition, so once a second suffices up to that many new
     * keys a second per partition.
     */
    public static final Duration DEFAULT_PURGE_INTERVAL = Duration.ofSeconds(1);

    public StimulusDedupConfig {
        Objects.requireNonNull(window, "window");
        Objects.requireNonNull(inFlightTimeout, "inFlightTimeout");
        Objects.requireNonNull(purgeInterval, "purgeInterval");
        if (purgeInterval.isNegative() || purgeInterval.isZero()) {
            throw new IllegalArgumentException("purge interval must be positive: " + purgeInterval);
        }
        new StimulusDedup(window, inFlightTimeout); // the rule checks the other two
    }

    public static StimulusDedupConfig defaults() {
        return new StimulusDedupConfig(StimulusDedup.DEFAULT_WINDOW, StimulusDedup.DEFAULT_IN_FLIGHT_TIMEOUT,
                DEFAULT_PURGE_INTERVAL);
    }

    /** {@code aegis.stimuli}: {@code dedup-window-ms}, {@code in-flight-timeout-ms}, {@code purge-interval-ms}. */
    public static StimulusDedupConfig read(io.helidon.config.Config stimuli) {
        return new StimulusDedupConfig(
                Duration.ofMillis(stimuli.get("dedup-window-ms").asLong()
                        .orElse(StimulusDedup.DEFAULT_WINDOW.toMillis())),
                Duration.ofMillis(stimuli.get("in-flight-timeout-ms").asLong()
                        .orElse(StimulusDedup.DEFAULT_IN_FLIGHT_TIMEOUT.toMillis())),
                Duration.ofMillis(stimuli.get("purge-interval-ms").asLong()
                        .orElse(DEFAULT_PURGE_INTERVAL.toMillis())));
    }

    /** The rule with these settings, replies stamped by the wall clock. */
    public StimulusDedup dedup() {
        return new StimulusDedup(window, inFlightTimeout);
    }
}
