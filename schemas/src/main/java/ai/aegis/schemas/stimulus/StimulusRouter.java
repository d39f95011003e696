package ai.aegis.schemas.stimulus;

import java.time.Instant;
import java.util.Objects;

/**
 * The RouterAgent: the agent that classifies a stimulus no direct route matches. It runs as an ordinary execution
 * on the stimulus and must answer {@code {"workflow": name, "confidence": x}}; below {@code confidenceThreshold}
 * the stimulus is refused ({@code 422 classification_failed}), past {@code timeoutSeconds} too
 * ({@code 422 router_agent_failed}). The one value of {@code <prefix>.stimulus.router.v1} (compacted, key
 * {@link #KEY}; a tombstone removes the router) and the body of {@code GET /v1/stimuli/router}.
 *
 * @param agentId             the agent's id (UUID)
 * @param confidenceThreshold in [0, 1]
 * @param timeoutSeconds      how long a classification may take, 1 to {@link #MAX_TIMEOUT_SECONDS}
 */
public record StimulusRouter(String agentId, double confidenceThreshold, int timeoutSeconds, Instant updatedAt) {

    /** The record key of the router on its topic. */
    public static final String KEY = "router";
    public static final double DEFAULT_CONFIDENCE_THRESHOLD = 0.7;
    public static final int DEFAULT_TIMEOUT_SECONDS = 30;
    public static final int MAX_TIMEOUT_SECONDS = 600;

    public StimulusRouter {
        Objects.requireNonNull(agentId, "agentId");
        Objects.requireNonNull(updatedAt, "updatedAt");
        if (!(confidenceThreshold >= 0 && confidenceThreshold <= 1)) {
            throw new IllegalArgumentException("confidence_threshold must be between 0 and 1");
        }
        if (timeoutSeconds < 1 || timeoutSeconds > MAX_TIMEOUT_SECONDS) {
            throw new IllegalArgumentException("timeout_seconds must be between 1 and " + MAX_TIMEOUT_SECONDS);
        }
    }
}
