package ai.aegis.worker.validation;

import ai.aegis.schemas.json.Json;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SemanticValidatorTest {

    /** A judge that answers from a script and records what it was asked. */
    private static final class FakeJudge implements JudgeRunner {
        final List<String> agents = new ArrayList<>();
        final List<String> payloads = new ArrayList<>();
        final List<Duration> timeouts = new ArrayList<>();
        private final String answer;
        private final JudgeException failure;

        FakeJudge(String answer) {
            this(answer, null);
        }

        FakeJudge(String answer, JudgeException failure) {
            this.answer = answer;
            this.failure = failure;
        }

        @Override
        public String judge(String judgeAgent, String payloadJson, Duration timeout) throws JudgeException {
            agents.add(judgeAgent);
            payloads.add(payloadJson);
            timeouts.add(timeout);
            if (failure != null) {
                throw failure;
            }
            return answer;
        }
    }

    private static Map<String, Object> spec(Object... extra) {
        Map<String, Object> m = new HashMap<>(Map.of("type", "semantic", "judge_agent", "strict-judge",
                "criteria", "The answer must cite a source."));
        for (int i = 0; i < extra.length; i += 2) {
            m.put((String) extra[i], extra[i + 1]);
        }
        return m;
    }

    private static ValidationResult run(JudgeRunner judge, Map<String, Object> spec) throws Exception {
        return ValidationPipeline.from(List.of(spec), judge)
                .run(new ValidationInput("Summarise the paper", "It is about X [1].", 0, "")).get(0);
    }

    @Test
    void sendsTheDocumentedPayloadToTheNamedJudgeWithItsTimeout() throws Exception {
        FakeJudge judge = new FakeJudge("{\"score\": 0.9, \"confidence\": 0.8, \"reasoning\": \"cites [1]\"}");
        ValidationResult r = run(judge, spec("timeout_seconds", 42));

        assertThat(judge.agents).containsExactly("strict-judge");
        assertThat(judge.timeouts).containsExactly(Duration.ofSeconds(42));
        JsonNode payload = Json.MAPPER.readTree(judge.payloads.get(0));
        assertThat(payload.properties()).extracting(Map.Entry::getKey)
                .containsExactlyInAnyOrder("task", "output", "criteria", "validation_context");
        assertThat(payload.get("task").asText()).isEqualTo("Summarise the paper");
        assertThat(payload.get("output").asText()).isEqualTo("It is about X [1].");
        assertThat(payload.get("criteria").asText()).isEqualTo("The answer must cite a source.");
        assertThat(payload.get("validation_context").asText()).isEqualTo("semantic_judge");

        assertThat(r.passed()).isTrue();
        assertThat(r.score()).isEqualTo(0.9);
        assertThat(r.confidence()).isEqualTo(0.8);
        assertThat(r.feedback()).isEqualTo("cites [1]");
        assertThat(r.reason()).contains("accepted").contains("0.90");
    }

    @Test
    void defaultTimeoutIs300Seconds() throws Exception {
        FakeJudge judge = new FakeJudge("{\"score\": 1, \"confidence\": 1}");
        run(judge, spec());
        assertThat(judge.timeouts).containsExactly(Duration.ofSeconds(300));
    }

    @Test
    void scoreBelowTheDefaultMinFailsWithTheReasoningAsFeedback() throws Exception {
        ValidationResult r = run(new FakeJudge(
                "{\"score\": 0.69, \"confidence\": 1.0, \"reasoning\": \"No source is cited.\"}"), spec());
        assertThat(r.passed()).isFalse();
        assertThat(r.reason()).isEqualTo("judge 'strict-judge' score 0.69 < min_score 0.70 (confidence 1.00)");
        assertThat(r.feedback()).isEqualTo("No source is cited.");
    }

    @Test
    void fencedVerdictInProseIsParsed() throws Exception {
        ValidationResult r = run(new FakeJudge("""
                Let me evaluate.
                ```json
                {"score": 0.75, "confidence": 0.6, "reasoning": "ok", "signals": [{"category": "c", "score": 1}]}
                ```
                """), spec());
        assertThat(r.passed()).isTrue();
        assertThat(r.score()).isEqualTo(0.75);
        assertThat(r.confidence()).isEqualTo(0.6);
    }

    @Test
    void unfencedObjectInsideProseIsFound() throws Exception {
        ValidationResult r = run(new FakeJudge("Verdict: {\"score\": 0.2, \"confidence\": 0.9} (strict)"), spec());
        assertThat(r.score()).isEqualTo(0.2);
        assertThat(r.passed()).isFalse();
    }

    @Test
    void outOfRangeValuesAreClamped() throws Exception {
        ValidationResult high = run(new FakeJudge("{\"score\": 7, \"confidence\": 1.5}"), spec());
        assertThat(high.score()).isEqualTo(1.0);
        assertThat(high.confidence()).isEqualTo(1.0);
        assertThat(high.passed()).isTrue();
        ValidationResult low = run(new FakeJudge("{\"score\": -3, \"confidence\": -1}"), spec("min_score", 0.0));
        assertThat(low.score()).isZero();
        assertThat(low.confidence()).isZero();
        assertThat(low.passed()).as("0 >= min_score 0 and 0 >= min_confidence 0").isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "I think it is fine.", "{\"confidence\": 0.9, \"reasoning\": \"x\"}",
            "{\"score\": \"high\"}", "[0.9]", "```json\n{broken\n```", "{\"score\": null}"})
    void garbageOrMissingScoreFails(String answer) throws Exception {
        ValidationResult r = run(new FakeJudge(answer), spec());
        assertThat(r.passed()).isFalse();
        assertThat(r.score()).isZero();
        assertThat(r.reason()).startsWith("judge returned no score");
    }

    @Test
    void quotedNumbersAreAccepted() throws Exception {
        assertThat(GradientResult.parse("{\"score\": \"0.8\", \"confidence\": \"0.5\"}"))
                .hasValue(new GradientResult(0.8, 0.5, ""));
    }

    @Test
    void missingConfidenceCountsAsZero() throws Exception {
        assertThat(run(new FakeJudge("{\"score\": 0.9}"), spec()).passed()).isTrue();
        ValidationResult r = run(new FakeJudge("{\"score\": 0.9}"), spec("min_confidence", 0.1));
        assertThat(r.passed()).isFalse();
        assertThat(r.confidence()).isZero();
    }

    @Test
    void lowConfidenceFailsAgainstMinConfidence() throws Exception {
        ValidationResult r = run(new FakeJudge("{\"score\": 0.95, \"confidence\": 0.4, \"reasoning\": \"unsure\"}"),
                spec("min_confidence", 0.5));
        assertThat(r.passed()).isFalse();
        assertThat(r.reason()).isEqualTo("judge 'strict-judge' confidence 0.40 < min_confidence 0.50 (score 0.95)");
        ValidationResult ok = run(new FakeJudge("{\"score\": 0.95, \"confidence\": 0.5}"), spec("min_confidence", 0.5));
        assertThat(ok.passed()).isTrue();
    }

    @Test
    void judgeFailureAndTimeoutRejectWithTheReason() throws Exception {
        ValidationResult failed = run(new FakeJudge(null, new JudgeException("agent not deployed")), spec());
        assertThat(failed.passed()).isFalse();
        assertThat(failed.reason()).isEqualTo("judge 'strict-judge' failed: agent not deployed");
        assertThat(failed.score()).isZero();

        ValidationResult slow = run(new FakeJudge(null, JudgeException.timedOut("no result")), spec());
        assertThat(slow.passed()).isFalse();
        assertThat(slow.reason()).isEqualTo("judge 'strict-judge' timed out after 300s: no result");
    }

    @Test
    void interruptionPropagates() {
        JudgeRunner interrupted = (agent, payload, timeout) -> {
            throw new InterruptedException("cancelled");
        };
        assertThatThrownBy(() -> run(interrupted, spec())).isInstanceOf(InterruptedException.class);
    }

    @Test
    void badParametersAreRejected() {
        FakeJudge judge = new FakeJudge("{}");
        assertThatThrownBy(() -> ValidationPipeline.from(List.of(Map.of("type", "semantic", "criteria", "c")), judge))
                .hasMessage("validation[0].judge_agent: is required");
        assertThatThrownBy(() -> ValidationPipeline.from(List.of(Map.of("type", "semantic", "judge_agent", "j")), judge))
                .hasMessage("validation[0].criteria: is required");
        assertThatThrownBy(() -> ValidationPipeline.from(List.of(spec("min_score", 1.5)), judge))
                .hasMessage("validation[0].min_score: must be between 0 and 1 (got 1.5)");
        assertThatThrownBy(() -> ValidationPipeline.from(List.of(spec("min_confidence", "high")), judge))
                .hasMessage("validation[0].min_confidence: must be a number between 0 and 1 (got a string)");
        assertThatThrownBy(() -> ValidationPipeline.from(List.of(spec("timeout_seconds", 0)), judge))
                .hasMessage("validation[0].timeout_seconds: must be between 1 and 86400 (got 0)");
        assertThatThrownBy(() -> ValidationPipeline.from(List.of(spec("timeout_seconds", 2.5)), judge))
                .hasMessage("validation[0].timeout_seconds: must be an integer (got a number)");
        assertThatThrownBy(() -> ValidationPipeline.from(List.of(spec()), null))
                .hasMessageStartingWith("validation[0].judge_agent: this worker cannot run judge agents");
    }
}
