package ai.aegis.worker.validation;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class ExitCodeValidatorTest {

    private static ValidationResult run(Map<String, Object> spec, int exit, String stderr) throws Exception {
        ValidationPipeline p = ValidationPipeline.from(List.of(spec), null);
        return p.run(new ValidationInput("task", "out", exit, stderr)).get(0);
    }

    @ParameterizedTest(name = "exit {0}, stderr ''{1}'' -> {2}")
    @CsvSource(delimiter = '|', value = {
            "0 | ''        | 1.0",
            "0 | 'warning' | 0.85",
            "1 | ''        | 0.3",
            "1 | 'boom'    | 0.15"})
    void scoreFollowsTheReferenceFormula(int exit, String stderr, double expected) throws Exception {
        ValidationResult r = new ExitCodeValidator(0, 1.0, false).validate(new ValidationInput("t", "o", exit, stderr));
        assertThat(r.score()).isEqualTo(expected);
        assertThat(r.confidence()).isEqualTo(1.0);
        assertThat(r.validator()).isEqualTo("exit_code");
    }

    @Test
    void cleanZeroExitPassesWithTheDefaults() throws Exception {
        ValidationResult r = run(Map.of("type", "exit_code"), 0, "");
        assertThat(r.passed()).isTrue();
        assertThat(r.score()).isEqualTo(1.0);
        assertThat(r.feedback()).isEmpty();
    }

    @Test
    void anyStderrFailsWithTheDefaultMinScore() throws Exception {
        ValidationResult r = run(Map.of("type", "exit_code"), 0, "DeprecationWarning: x\n");
        assertThat(r.passed()).isFalse();
        assertThat(r.score()).isEqualTo(0.85);
        assertThat(r.reason()).contains("wrote to stderr");
        assertThat(r.feedback()).contains("DeprecationWarning: x");
    }

    @Test
    void bootstrapDebugLinesDoNotCountAsStderr() throws Exception {
        String stderr = "[BOOTSTRAP DEBUG] POST unix:/s type=generate\n[BOOTSTRAP DEBUG] dispatch d1 exit_code=0\n";
        ValidationResult r = run(Map.of("type", "exit_code"), 0, stderr);
        assertThat(r.passed()).isTrue();
        assertThat(r.score()).isEqualTo(1.0);

        ValidationResult mixed = run(Map.of("type", "exit_code"), 0, "[BOOTSTRAP DEBUG] x\nreal problem\n");
        assertThat(mixed.passed()).isFalse();
        assertThat(mixed.feedback()).contains("real problem").doesNotContain("BOOTSTRAP");
    }

    @Test
    void nonZeroExitFailsAndSaysWhat() throws Exception {
        ValidationResult r = run(Map.of("type", "exit_code"), 2, "Traceback: boom");
        assertThat(r.passed()).isFalse();
        assertThat(r.score()).isEqualTo(0.15);
        assertThat(r.reason()).contains("exit code 2, expected 0");
        assertThat(r.feedback()).contains("exited with 2 instead of 0").contains("Traceback: boom");
    }

    @Test
    void lowerMinScoreToleratesStderrButNotAFailedExit() throws Exception {
        Map<String, Object> spec = Map.of("type", "exit_code", "min_score", 0.8);
        assertThat(run(spec, 0, "warning").passed()).isTrue();
        assertThat(run(spec, 1, "").passed()).isFalse();
    }

    @Test
    void expectedExitCodeIsHonoured() throws Exception {
        Map<String, Object> spec = Map.of("type", "exit_code", "expected", 3);
        assertThat(run(spec, 3, "").passed()).isTrue();
        ValidationResult zero = run(spec, 0, "");
        assertThat(zero.passed()).isFalse();
        assertThat(zero.score()).isEqualTo(0.3);
    }

    @Test
    void mustSucceedZeroesTheScoreOnAWrongExit() throws Exception {
        Map<String, Object> spec = Map.of("type", "exit_code", "must_succeed", true, "min_score", 0.2);
        ValidationResult r = run(spec, 1, "");
        assertThat(r.score()).isZero();
        assertThat(r.passed()).isFalse();
        assertThat(run(spec, 0, "noise").passed()).isTrue();
    }
}
