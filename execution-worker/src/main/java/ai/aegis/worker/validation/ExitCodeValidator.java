package ai.aegis.worker.validation;

/**
 * {@code exit_code}: did the agent's process end the way it should, and quietly?
 *
 * <p>Score (the original's formula) = 0.7 when the exit code is the expected one, plus 0.3 when stderr is empty or 0.15 when
 * it is not. With the default {@code min_score} 1.0 any stderr output therefore fails the run; that is the
 * reference's rule and is kept, except that bootstrap.py's own {@code [BOOTSTRAP ...]} debug lines do not count.
 * Unlike the reference, {@code expected} is honoured (the reference ignores it and always expects 0).
 * {@code must_succeed: true} forces the score to 0 when the exit code is not the expected one.
 */
public final class ExitCodeValidator implements Validator {

    public static final String TYPE = "exit_code";
    private static final int STDERR_FEEDBACK_CHARS = 2000;

    private final int expected;
    private final double minScore;
    private final boolean mustSucceed;

    public ExitCodeValidator(int expected, double minScore, boolean mustSucceed) {
        this.expected = expected;
        this.minScore = minScore;
        this.mustSucceed = mustSucceed;
    }

    static ExitCodeValidator from(Spec spec) {
        return new ExitCodeValidator(
                spec.integer("expected", 0, Integer.MIN_VALUE, Integer.MAX_VALUE),
                spec.fraction("min_score", 1.0),
                spec.bool("must_succeed", false));
    }

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public ValidationResult validate(ValidationInput in) {
        boolean exitOk = in.exitCode() == expected;
        String stderr = in.agentStderr();
        boolean quiet = stderr.isBlank();
        // Whole hundredths, so 0.7 + 0.3 is exactly 1.0 and the default min_score of 1.0 is reachable.
        int hundredths = (exitOk ? 70 : 0) + (quiet ? 30 : 15);
        double score = mustSucceed && !exitOk ? 0.0 : hundredths / 100.0;
        boolean passed = score >= minScore;

        String reason;
        if (exitOk && quiet) {
            reason = "exit code " + in.exitCode() + " as expected, no stderr output";
        } else if (exitOk) {
            reason = "exit code " + in.exitCode() + " as expected, but the agent wrote to stderr";
        } else {
            reason = "exit code " + in.exitCode() + ", expected " + expected + (quiet ? "" : ", with stderr output");
        }
        reason += " (score " + Texts.num(score) + ", min " + Texts.num(minScore) + ")";
        String feedback = "";
        if (!passed) {
            feedback = "The run " + (exitOk ? "exited with " + expected : "exited with " + in.exitCode()
                    + " instead of " + expected) + (quiet ? "." : " and wrote to stderr:\n"
                    + Texts.tail(stderr.strip(), STDERR_FEEDBACK_CHARS));
        }
        return new ValidationResult(TYPE, score, 1.0, passed, reason, feedback);
    }
}
