package ai.aegis.worker.validation;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RegexValidatorTest {

    private static ValidationResult run(Map<String, Object> spec, String out, String err) throws Exception {
        return ValidationPipeline.from(List.of(spec), null).run(new ValidationInput("t", out, 0, err)).get(0);
    }

    @Test
    void matchesAnywhereInStdoutByDefault() throws Exception {
        ValidationResult r = run(Map.of("type", "regex", "pattern", "RESULT: \\d+"), "thinking...\nRESULT: 42\n", "");
        assertThat(r.passed()).isTrue();
        assertThat(r.score()).isEqualTo(1.0);
        assertThat(r.confidence()).isEqualTo(1.0);
        assertThat(r.reason()).isEqualTo("stdout matches /RESULT: \\d+/");
        assertThat(r.feedback()).isEmpty();
    }

    @Test
    void noMatchFailsWithFeedbackNamingThePattern() throws Exception {
        ValidationResult r = run(Map.of("type", "regex", "pattern", "^OK$"), "not ok", "OK");
        assertThat(r.passed()).isFalse();
        assertThat(r.score()).isZero();
        assertThat(r.reason()).isEqualTo("stdout does not match /^OK$/");
        assertThat(r.feedback()).contains("must match the regular expression /^OK$/").contains("did not");
    }

    @Test
    void stderrTargetIgnoresStdoutAndBootstrapLines() throws Exception {
        Map<String, Object> spec = Map.of("type", "regex", "pattern", "BOOTSTRAP|done", "target", "stderr");
        assertThat(run(spec, "done", "").passed()).isFalse();
        assertThat(run(spec, "", "[BOOTSTRAP DEBUG] x\n").passed()).isFalse();
        assertThat(run(spec, "", "[BOOTSTRAP DEBUG] x\nall done\n").passed()).isTrue();
    }

    @Test
    void minScoreZeroAcceptsANonMatch() throws Exception {
        assertThat(run(Map.of("type", "regex", "pattern", "x", "min_score", 0), "y", "").passed()).isTrue();
    }

    @Test
    void invalidPatternIsRejectedWhenThePipelineIsBuilt() {
        assertThatThrownBy(() -> ValidationPipeline.from(List.of(
                Map.of("type", "exit_code"), Map.of("type", "regex", "pattern", "(unclosed")), null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("validation[1].pattern: invalid regular expression: ")
                .hasMessageContaining("(unclosed");
    }

    @Test
    void badTargetAndMissingPatternAreRejected() {
        assertThatThrownBy(() -> ValidationPipeline.from(List.of(
                Map.of("type", "regex", "pattern", "x", "target", "stdin")), null))
                .hasMessage("validation[0].target: must be stdout or stderr (got 'stdin')");
        assertThatThrownBy(() -> ValidationPipeline.from(List.of(Map.of("type", "regex")), null))
                .hasMessage("validation[0].pattern: is required");
        assertThatThrownBy(() -> ValidationPipeline.from(List.of(Map.of("type", "regex", "pattern", 5)), null))
                .hasMessage("validation[0].pattern: must be a string (got a number)");
    }

    @Test
    // Without the budget this match runs for minutes (checked on JDK 25: over 120 s).
    void catastrophicBacktrackingIsCutOffAndFails() throws Exception {
        RegexValidator v = new RegexValidator(Pattern.compile("(.*a){12}x"), RegexValidator.Target.STDOUT, 1.0,
                Duration.ofMillis(200).toNanos());
        long started = System.nanoTime();
        ValidationResult r = v.validate(new ValidationInput("t", "a".repeat(40), 0, ""));
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
        assertThat(r.passed()).isFalse();
        assertThat(r.reason()).contains("took longer than 200 ms");
    }
}
