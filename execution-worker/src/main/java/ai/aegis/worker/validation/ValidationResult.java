package ai.aegis.worker.validation;

import java.util.Objects;

/**
 * The verdict of one validator on one iteration.
 *
 * @param validator  the validator type ({@code exit_code}, {@code json_schema}, {@code regex}, {@code semantic})
 * @param score      0..1
 * @param confidence 0..1 (1 for the deterministic validators)
 * @param passed     whether the iteration is accepted by this validator
 * @param reason     a one-line explanation for events and logs
 * @param feedback   the text handed to the next iteration when this result rejects the output
 */
public record ValidationResult(String validator, double score, double confidence, boolean passed, String reason,
                               String feedback) {

    public ValidationResult {
        Objects.requireNonNull(validator, "validator");
        if (!(score >= 0.0 && score <= 1.0)) {
            throw new IllegalArgumentException("score must be within 0..1, got " + score);
        }
        if (!(confidence >= 0.0 && confidence <= 1.0)) {
            throw new IllegalArgumentException("confidence must be within 0..1, got " + confidence);
        }
        reason = Objects.requireNonNullElse(reason, "");
        feedback = Objects.requireNonNullElse(feedback, "");
    }
}
