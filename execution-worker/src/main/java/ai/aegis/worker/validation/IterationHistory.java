package ai.aegis.worker.validation;

import ai.aegis.schemas.json.Json;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The attempts of one execution so far, rendered as the JSON array the next iteration gets in
 * {@code AEGIS_ITERATION_HISTORY} (the original's refinement loop hands the same history to the next attempt).
 * bootstrap.py's {@code build_prompt} reads exactly these keys:
 * {@code iteration, error, output, exit_code, feedback, validation_reason}.
 *
 * <p>The array travels in one environment variable, and Linux refuses a single variable over 128 KiB
 * (MAX_ARG_STRLEN) with E2BIG at exec time. So every field is capped ({@value #OUTPUT_TAIL_CHARS} characters of output
 * tail, {@value #FEEDBACK_CHARS} of feedback, {@value #REASON_CHARS} of reason, {@value #ERROR_CHARS} of error) and the
 * whole array to {@value #MAX_JSON_BYTES} UTF-8 bytes by dropping the oldest attempts; the latest always stays.
 *
 * <p>Not thread-safe: one execution's loop owns its history.
 */
public final class IterationHistory {

    public static final int OUTPUT_TAIL_CHARS = 4096;
    public static final int FEEDBACK_CHARS = 4096;
    public static final int REASON_CHARS = 1024;
    public static final int ERROR_CHARS = 2048;
    public static final int MAX_JSON_BYTES = 32 * 1024;

    /** One history entry. */
    public sealed interface Attempt permits ValidationFailure, RunError {
        int iteration();
    }

    /** An iteration that ran but whose output a validator rejected. */
    public record ValidationFailure(int iteration, String output, int exitCode, boolean validationFailed,
                                    String validationReason, String feedback) implements Attempt {
    }

    /** An iteration that could not run (spawn or execute error, per-iteration timeout). */
    public record RunError(int iteration, String error) implements Attempt {
    }

    private final List<Attempt> attempts = new ArrayList<>();

    /** Records a rejected iteration; {@code failure} is the failing result of the pipeline run. */
    public void validationFailed(int iteration, String output, int exitCode, ValidationResult failure) {
        Objects.requireNonNull(failure, "failure");
        validationFailed(iteration, output, exitCode, failure.reason(), failure.feedback());
    }

    public void validationFailed(int iteration, String output, int exitCode, String reason, String feedback) {
        attempts.add(new ValidationFailure(iteration,
                Texts.tail(Objects.requireNonNullElse(output, ""), OUTPUT_TAIL_CHARS),
                exitCode, true,
                Texts.head(Objects.requireNonNullElse(reason, ""), REASON_CHARS),
                Texts.head(Objects.requireNonNullElse(feedback, ""), FEEDBACK_CHARS)));
    }

    /** Records an iteration that failed to run. */
    public void runFailed(int iteration, String error) {
        attempts.add(new RunError(iteration, Texts.head(Objects.requireNonNullElse(error, "unknown error"),
                ERROR_CHARS)));
    }

    public boolean isEmpty() {
        return attempts.isEmpty();
    }

    public List<Attempt> attempts() {
        return List.copyOf(attempts);
    }

    /**
     * The value for {@code AEGIS_ITERATION_HISTORY}: a JSON array in attempt order, at most {@value #MAX_JSON_BYTES}
     * bytes (oldest attempts dropped first). {@code []} when empty; callers leave the variable unset then.
     */
    public String toJson() {
        for (int from = 0; from < attempts.size(); from++) {
            String json = Json.write(attempts.subList(from, attempts.size()));
            if (json.getBytes(StandardCharsets.UTF_8).length <= MAX_JSON_BYTES || from == attempts.size() - 1) {
                return json;
            }
        }
        return "[]";
    }
}
