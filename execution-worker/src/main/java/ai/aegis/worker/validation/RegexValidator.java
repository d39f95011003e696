package ai.aegis.worker.validation;

import java.util.Locale;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * {@code regex}: the output (or stderr) must contain a match of {@code pattern} (a search, like the reference's
 * {@code is_match}; anchor with {@code ^...$} for a full match). Score 1 or 0, confidence 1.
 *
 * <p>Java regexes backtrack, and both pattern and output come from outside, so a match is bounded in time: a
 * pattern that would take longer than {@link #MATCH_BUDGET_NANOS} fails the validation instead of pinning a worker
 * thread.
 */
public final class RegexValidator implements Validator {

    public static final String TYPE = "regex";
    static final long MATCH_BUDGET_NANOS = 5_000_000_000L;
    private static final int SHOWN_PATTERN_CHARS = 500;

    /** Which stream the pattern is matched against. */
    public enum Target { STDOUT, STDERR }

    private final Pattern pattern;
    private final Target target;
    private final double minScore;
    private final long budgetNanos;

    public RegexValidator(Pattern pattern, Target target, double minScore) {
        this(pattern, target, minScore, MATCH_BUDGET_NANOS);
    }

    RegexValidator(Pattern pattern, Target target, double minScore, long budgetNanos) {
        this.pattern = pattern;
        this.target = target;
        this.minScore = minScore;
        this.budgetNanos = budgetNanos;
    }

    static RegexValidator from(Spec spec) {
        String source = spec.requiredString("pattern");
        Pattern pattern;
        try {
            pattern = Pattern.compile(source);
        } catch (PatternSyntaxException e) {
            throw spec.error("pattern", "invalid regular expression: " + e.getDescription() + " near index "
                    + e.getIndex() + " of '" + source + "'");
        }
        String targetName = spec.string("target", "stdout");
        Target target = switch (targetName) {
            case "stdout" -> Target.STDOUT;
            case "stderr" -> Target.STDERR;
            default -> throw spec.error("target", "must be stdout or stderr (got '" + targetName + "')");
        };
        return new RegexValidator(pattern, target, spec.fraction("min_score", 1.0));
    }

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public ValidationResult validate(ValidationInput in) throws InterruptedException {
        String text = target == Target.STDOUT ? in.output() : in.agentStderr();
        String stream = target.name().toLowerCase(Locale.ROOT);
        String shown = Texts.head(pattern.pattern(), SHOWN_PATTERN_CHARS);
        boolean matched;
        try {
            matched = pattern.matcher(new BoundedCharSequence(text, System.nanoTime() + budgetNanos)).find();
        } catch (BoundedCharSequence.BudgetExceeded e) {
            if (Thread.currentThread().isInterrupted()) {
                throw new InterruptedException("regex validation interrupted");
            }
            String reason = "matching /" + shown + "/ against " + stream + " took longer than "
                    + budgetNanos / 1_000_000 + " ms";
            return new ValidationResult(TYPE, 0.0, 1.0, 0.0 >= minScore, reason,
                    "The " + stream + " could not be checked against the required pattern /" + shown
                            + "/ in time; produce a shorter, simpler output.");
        }
        double score = matched ? 1.0 : 0.0;
        boolean passed = score >= minScore;
        String reason = stream + (matched ? " matches /" : " does not match /") + shown + "/";
        String feedback = passed ? "" : "The " + stream + " must match the regular expression /" + shown
                + "/, and " + (matched ? "it did, but min_score is " + Texts.num(minScore) : "it did not.");
        return new ValidationResult(TYPE, score, 1.0, passed, reason, feedback);
    }

    /**
     * A view of a string that gives up once a deadline passes or the thread is interrupted: the regex engine reads
     * the input through {@link #charAt}, so checking there bounds even catastrophic backtracking.
     */
    private static final class BoundedCharSequence implements CharSequence {

        static final class BudgetExceeded extends RuntimeException {
            BudgetExceeded() {
                super(null, null, false, false);
            }
        }

        private final String text;
        private final long deadline;
        private int reads;

        BoundedCharSequence(String text, long deadline) {
            this.text = text;
            this.deadline = deadline;
        }

        @Override
        public char charAt(int index) {
            // nanoTime on every read would dominate a normal match; every 4096 reads is still sub-millisecond.
            if ((++reads & 0xFFF) == 0
                    && (System.nanoTime() - deadline > 0 || Thread.currentThread().isInterrupted())) {
                throw new BudgetExceeded();
            }
            return text.charAt(index);
        }

        @Override
        public int length() {
            return text.length();
        }

        @Override
        public CharSequence subSequence(int start, int end) {
            return new BoundedCharSequence(text.substring(start, end), deadline);
        }

        @Override
        public String toString() {
            return text;
        }
    }
}
