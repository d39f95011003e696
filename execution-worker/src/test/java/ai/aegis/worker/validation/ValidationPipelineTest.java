package ai.aegis.worker.validation;

import ai.aegis.schemas.agent.AgentManifest;
import ai.aegis.schemas.agent.AgentManifests;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ValidationPipelineTest {

    private static final ValidationInput GOOD = new ValidationInput("t", "RESULT: 1", 0, "");

    /** A validator with a fixed verdict that records that it ran. */
    private record Fixed(String type, boolean pass, List<String> ran) implements Validator {
        @Override
        public ValidationResult validate(ValidationInput in) {
            ran.add(type);
            return new ValidationResult(type, pass ? 1 : 0, 1, pass, type + (pass ? " ok" : " failed"), "");
        }
    }

    @Test
    void runsInOrderAndStopsAtTheFirstFailure() throws Exception {
        List<String> ran = new ArrayList<>();
        ValidationPipeline p = new ValidationPipeline(List.of(
                new Fixed("a", true, ran), new Fixed("b", false, ran), new Fixed("c", true, ran)));
        List<ValidationResult> results = p.run(GOOD);
        assertThat(ran).containsExactly("a", "b");
        assertThat(results).extracting(ValidationResult::validator).containsExactly("a", "b");
        assertThat(ValidationPipeline.firstFailure(results)).map(ValidationResult::validator).hasValue("b");
    }

    @Test
    void allPassingGivesOneResultPerValidator() throws Exception {
        List<String> ran = new ArrayList<>();
        ValidationPipeline p = new ValidationPipeline(List.of(new Fixed("a", true, ran), new Fixed("b", true, ran)));
        List<ValidationResult> results = p.run(GOOD);
        assertThat(results).hasSize(2).allMatch(ValidationResult::passed);
        assertThat(ValidationPipeline.firstFailure(results)).isEmpty();
    }

    @Test
    void aFailedExitCodeSparesTheJudge() throws Exception {
        List<String> judged = new ArrayList<>();
        JudgeRunner judge = (agent, payload, timeout) -> {
            judged.add(agent);
            return "{\"score\": 1, \"confidence\": 1}";
        };
        ValidationPipeline p = ValidationPipeline.from(List.of(
                Map.of("type", "exit_code"),
                Map.of("type", "regex", "pattern", "RESULT"),
                Map.of("type", "semantic", "judge_agent", "j", "criteria", "c")), judge);
        assertThat(p.types()).containsExactly("exit_code", "regex", "semantic");

        List<ValidationResult> crashed = p.run(new ValidationInput("t", "RESULT", 1, "boom"));
        assertThat(crashed).extracting(ValidationResult::validator).containsExactly("exit_code");
        assertThat(judged).isEmpty();

        List<ValidationResult> ok = p.run(new ValidationInput("t", "RESULT", 0, ""));
        assertThat(ok).extracting(ValidationResult::passed).containsExactly(true, true, true);
        assertThat(judged).containsExactly("j");
    }

    @Test
    void emptyOrMissingSpecsGiveAnEmptyPipelineThatAcceptsEverything() throws Exception {
        assertThat(ValidationPipeline.from(null, null).isEmpty()).isTrue();
        ValidationPipeline empty = ValidationPipeline.from(List.of(), null);
        assertThat(empty.isEmpty()).isTrue();
        assertThat(empty.run(new ValidationInput("t", "", 3, "err"))).isEmpty();
        assertThat(ValidationPipeline.from(List.of(Map.of("type", "exit_code")), null).isEmpty()).isFalse();
    }

    @Test
    void badSpecsNameTheIndexAndField() {
        assertThatThrownBy(() -> ValidationPipeline.from(List.of(Map.of("type", "exit_code"),
                Map.of("type", "spellcheck")), null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("validation[1].type: unknown validator type 'spellcheck' "
                        + "(expected exit_code, json_schema, regex or semantic)");
        assertThatThrownBy(() -> ValidationPipeline.from(List.of(Map.of("expected", 0)), null))
                .hasMessage("validation[0].type: is required");
        assertThatThrownBy(() -> ValidationPipeline.from(List.of(Map.of("type", "multi_judge")), null))
                .hasMessageStartingWith("validation[0].type: multi_judge is not supported");
        List<Map<String, Object>> withNull = new ArrayList<>();
        withNull.add(null);
        assertThatThrownBy(() -> ValidationPipeline.from(withNull, null))
                .hasMessage("validation[0]: must be an object with a type");
        assertThatThrownBy(() -> ValidationPipeline.from(List.of(Map.of("type", "exit_code", "expected", "zero")), null))
                .hasMessage("validation[0].expected: must be an integer (got a string)");
        assertThatThrownBy(() -> ValidationPipeline.from(List.of(Map.of("type", "exit_code", "min_score", -0.1)), null))
                .hasMessage("validation[0].min_score: must be between 0 and 1 (got -0.1)");
        assertThatThrownBy(() -> ValidationPipeline.from(List.of(Map.of("type", "exit_code", "must_succeed", "yes")), null))
                .hasMessage("validation[0].must_succeed: must be true or false (got a string)");
    }

    @Test
    void buildsFromAParsedManifest() throws Exception {
        AgentManifest manifest = AgentManifests.parse("""
                apiVersion: 100monkeys.ai/v1
                kind: Agent
                metadata: {name: calc, version: "1.0.0"}
                spec:
                  runtime: {language: python, version: "3.11"}
                  task: {instruction: add numbers}
                  execution:
                    mode: iterative
                    validation:
                      - type: exit_code
                        min_score: 0.85
                      - type: json_schema
                        schema:
                          type: object
                          required: [sum]
                          properties: {sum: {type: number}}
                """).manifest();
        ValidationPipeline p = ValidationPipeline.from(manifest.execution().validation(), null);
        assertThat(p.types()).containsExactly("exit_code", "json_schema");
        assertThat(p.run(new ValidationInput("t", "```json\n{\"sum\": 3}\n```", 0, "note")))
                .extracting(ValidationResult::passed).containsExactly(true, true);
        assertThat(p.run(new ValidationInput("t", "{\"sum\": \"3\"}", 0, "")))
                .extracting(ValidationResult::passed).containsExactly(true, false);
    }
}
