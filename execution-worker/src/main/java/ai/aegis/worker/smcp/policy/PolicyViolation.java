package ai.aegis.worker.smcp.policy;

import java.util.Objects;

/**
 * A refused tool call.
 *
 * @param type              the kind of refusal
 * @param tool              the tool that was called
 * @param message           human readable and names the rule, so that an LLM can correct its call
 * @param retryAfterSeconds when the call may be retried; 0 unless {@link ViolationType#RATE_LIMIT_EXCEEDED}
 * @param limit             the calls allowed per period; 0 unless {@link ViolationType#RATE_LIMIT_EXCEEDED}
 */
public record PolicyViolation(ViolationType type, String tool, String message, long retryAfterSeconds, int limit) {

    public PolicyViolation {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(tool, "tool");
        Objects.requireNonNull(message, "message");
        if (retryAfterSeconds < 0 || limit < 0) {
            throw new IllegalArgumentException("retryAfterSeconds and limit must not be negative");
        }
    }

    /** A violation of any kind but a rate limit. */
    public static PolicyViolation of(ViolationType type, String tool, String message) {
        return new PolicyViolation(type, tool, message, 0, 0);
    }
}
