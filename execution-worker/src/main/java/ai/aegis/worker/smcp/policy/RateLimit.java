package ai.aegis.worker.smcp.policy;

import java.time.Duration;
import java.util.Objects;

/**
 * At most {@code calls} calls in every window of {@code per}.
 *
 * @param calls positive
 * @param per   positive
 */
public record RateLimit(int calls, Duration per) {

    public RateLimit {
        Objects.requireNonNull(per, "per");
        if (calls < 1) {
            throw new IllegalArgumentException("rate limit calls must be positive (got " + calls + ")");
        }
        if (per.isNegative() || per.isZero()) {
            throw new IllegalArgumentException("rate limit period must be positive (got " + per + ")");
        }
    }
}
