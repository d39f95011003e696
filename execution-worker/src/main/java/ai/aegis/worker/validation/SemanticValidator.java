package ai.aegis.worker.validation;

import ai.aegis.schemas.json.Json;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * {@code semantic}: a judge agent grades the output against {@code criteria}. It is run through a {@link JudgeRunner}
 * with {@code {task, output, criteria, validation_context:"semantic_judge"}} and must answer with a GradientResult.
 * Passes when {@code score >= min_score && confidence >= min_confidence}. A judge that fails, times out or answers
 * without a score rejects the iteration: an unjudged output is not an accepted one.
 */
public final class SemanticValidator implements Validator {

    public static final String TYPE = "semantic";
    public static final String VALIDATION_CONTEXT = "semantic_judge";
    static final String NO_SCORE = "judge returned no score";
    private static final int JUDGE_OUTPUT_EXCERPT_CHARS = 500;

    private final JudgeRunner judges;
    private final String judgeAgent;
    private final String criteria;
    private final double minScore;
    private final double minConfidence;
    private final Duration timeout;

    public SemanticValidator(JudgeRunner judges, String judgeAgent, String criteria, double minScore,
                             double minConfidence, Duration timeout) {
        this.judges = Objects.requireNonNull(judges, "judges");
        this.judgeAgent = Objects.requireNonNull(judgeAgent, "judgeAgent");
        this.criteria = Objects.requireNonNull(criteria, "criteria");
        this.minScore = minScore;
        this.minConfidence = minConfidence;
        this.timeout = Objects.requireNonNull(timeout, "timeout");
    }

    static SemanticValidator from(Spec spec, JudgeRunner judges) {
        String judgeAgent = spec.requiredString("judge_agent");
        String criteria = spec.requiredString("criteria");
        double minScore = spec.fraction("min_score", 0.7);
        double minConfidence = spec.fraction("min_confidence", 0.0);
        int timeoutSeconds = spec.integer("timeout_seconds", 300, 1, 86_400);
        if (judges == null) {
            throw spec.error("judge_agent", "this worker cannot run judge agents (no judge runner configured)");
        }
        return new SemanticValidator(judges, judgeAgent, criteria, minScore, minConfidence,
                Duration.ofSeconds(timeoutSeconds));
    }

    @Override
    public String type() {
        return TYPE;
    }

    /** The judge's input document. */
    String payload(ValidationInput in) {
        ObjectNode payload = Json.MAPPER.createObjectNode();
        payload.put("task", in.task());
        payload.put("output", in.output());
        payload.put("criteria", criteria);
        payload.put("validation_context", VALIDATION_CONTEXT);
        return payload.toString();
    }

    @Override
    public ValidationResult validate(ValidationInput in) throws InterruptedException {
        String answer;
        try {
            answer = judges.judge(judgeAgent, payload(in), timeout);
        } catch (JudgeException e) {
            String reason = e.timedOut()
                    ? "judge '" + judgeAgent + "' timed out after " + timeout.toSeconds() + "s: " + e.getMessage()
                    : "judge '" + judgeAgent + "' failed: " + e.getMessage();
            // Nothing was learnt about the output, so there is no feedback for the agent beyond the reason.
            return new ValidationResult(TYPE, 0.0, 0.0, false, reason, "");
        }
        Optional<GradientResult> verdict = GradientResult.parse(answer);
        if (verdict.isEmpty()) {
            String excerpt = answer == null || answer.isBlank() ? "(empty)"
                    : Texts.head(answer.strip(), JUDGE_OUTPUT_EXCERPT_CHARS);
            return new ValidationResult(TYPE, 0.0, 0.0, false,
                    NO_SCORE + " (judge '" + judgeAgent + "' answered: " + excerpt + ")", "");
        }
        GradientResult g = verdict.get();
        boolean scoreOk = g.score() >= minScore;
        boolean confidenceOk = g.confidence() >= minConfidence;
        String figures = "score " + Texts.num(g.score()) + ", confidence " + Texts.num(g.confidence());
        String reason;
        if (scoreOk && confidenceOk) {
            reason = "judge '" + judgeAgent + "' accepted the output (" + figures + ")";
        } else if (!scoreOk) {
            reason = "judge '" + judgeAgent + "' score " + Texts.num(g.score()) + " < min_score "
                    + Texts.num(minScore) + " (confidence " + Texts.num(g.confidence()) + ")";
        } else {
            reason = "judge '" + judgeAgent + "' confidence " + Texts.num(g.confidence()) + " < min_confidence "
                    + Texts.num(minConfidence) + " (score " + Texts.num(g.score()) + ")";
        }
        return new ValidationResult(TYPE, g.score(), g.confidence(), scoreOk && confidenceOk, reason, g.reasoning());
    }
}
