package ai.aegis.topology.workflow;

import io.helidon.config.Config;

import java.time.Duration;
import java.util.Objects;

/**
 * Settings of the workflow engine ({@code aegis.workflows.*}); the defaults are written here once.
 *
 * @param retention    how long finished runs stay in the engine's store, and how often purges run
 * @param startTimeout how long a start waits for the topics and for the Streams client to be {@code RUNNING}
 *                     (restoring large stores from their changelogs takes a while)
 * @param closeTimeout how long a close waits for the Streams client to leave the group and flush its state
 */
public record WorkflowEngineConfig(WorkflowRetention retention, Duration startTimeout, Duration closeTimeout) {

    public static final Duration DEFAULT_START_TIMEOUT = Duration.ofSeconds(90);
    public static final Duration DEFAULT_CLOSE_TIMEOUT = Duration.ofSeconds(30);

    public WorkflowEngineConfig {
        Objects.requireNonNull(retention, "retention");
        positive("start-timeout-ms", startTimeout);
        positive("close-timeout-ms", closeTimeout);
    }

    public static WorkflowEngineConfig defaults() {
        return new WorkflowEngineConfig(WorkflowRetention.defaults(), DEFAULT_START_TIMEOUT, DEFAULT_CLOSE_TIMEOUT);
    }

    /** @param workflows the {@code aegis.workflows} node (may be missing: every default applies) */
    public static WorkflowEngineConfig read(Config workflows) {
        return new WorkflowEngineConfig(WorkflowRetention.read(workflows),
                workflows.get("start-timeout-ms").asLong().map(Duration::ofMillis).orElse(DEFAULT_START_TIMEOUT),
                workflows.get("close-timeout-ms").asLong().map(Duration::ofMillis).orElse(DEFAULT_CLOSE_TIMEOUT));
    }

    private static void positive(String key, Duration d) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException("aegis.workflows." + key + " must be positive");
        }
    }
}
