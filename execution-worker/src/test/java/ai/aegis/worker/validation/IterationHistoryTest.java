package ai.aegis.worker.validation;

import ai.aegis.schemas.json.Json;
import ai.aegis.worker.runtime.BootstrapScript;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class IterationHistoryTest {

    private static final Path PYTHON = Path.of("/usr/bin/python3");

    private static IterationHistory sample() {
        IterationHistory h = new IterationHistory();
        h.runFailed(1, "container failed to start: image not found");
        h.validationFailed(2, "{\"sum\": \"3\"}", 0, new ValidationResult("json_schema", 0, 1, false,
                "output does not match the JSON schema: 1 error(s)", "- $.sum: string found, number expected"));
        h.validationFailed(3, "partial", 1, new ValidationResult("exit_code", 0.3, 1, false,
                "exit code 1, expected 0", ""));
        return h;
    }

    private static List<String> keys(JsonNode n) {
        return n.properties().stream().map(Map.Entry::getKey).toList();
    }

    @Test
    void entriesHaveTheShapeOfNotesStep8() throws Exception {
        JsonNode arr = Json.MAPPER.readTree(sample().toJson());
        assertThat(arr.isArray()).isTrue();
        assertThat(arr).hasSize(3);

        assertThat(keys(arr.get(0))).containsExactly("iteration", "error");
        assertThat(arr.get(0).get("iteration").asInt()).isEqualTo(1);
        assertThat(arr.get(0).get("error").asText()).isEqualTo("container failed to start: image not found");

        JsonNode failed = arr.get(1);
        assertThat(keys(failed)).containsExactly("iteration", "output", "exit_code", "validation_failed",
                "validation_reason", "feedback");
        assertThat(failed.get("iteration").asInt()).isEqualTo(2);
        assertThat(failed.get("output").asText()).isEqualTo("{\"sum\": \"3\"}");
        assertThat(failed.get("exit_code").isInt()).isTrue();
        assertThat(failed.get("validation_failed").booleanValue()).isTrue();
        assertThat(failed.get("validation_reason").asText()).startsWith("output does not match");
        assertThat(failed.get("feedback").asText()).isEqualTo("- $.sum: string found, number expected");
        assertThat(arr.get(2).get("exit_code").asInt()).isEqualTo(1);
    }

    @Test
    void emptyHistoryIsAnEmptyArray() {
        IterationHistory h = new IterationHistory();
        assertThat(h.isEmpty()).isTrue();
        assertThat(h.toJson()).isEqualTo("[]");
    }

    @Test
    void longOutputsKeepTheirTailAndFeedbackItsHead() throws Exception {
        IterationHistory h = new IterationHistory();
        String output = "HEAD" + "x".repeat(20_000) + "THE-END";
        String feedback = "FIRST" + "y".repeat(20_000) + "LAST";
        h.validationFailed(1, output, 0, "r", feedback);
        JsonNode e = Json.MAPPER.readTree(h.toJson()).get(0);
        String out = e.get("output").asText();
        assertThat(out).endsWith("THE-END").doesNotContain("HEAD").contains("earlier characters omitted");
        assertThat(out.length()).isLessThan(IterationHistory.OUTPUT_TAIL_CHARS + 100);
        String fb = e.get("feedback").asText();
        assertThat(fb).startsWith("FIRST").doesNotContain("LAST").contains("more characters omitted");
        assertThat(fb.length()).isLessThan(IterationHistory.FEEDBACK_CHARS + 100);
    }

    @Test
    void wholeArrayStaysUnderTheByteCapByDroppingTheOldestAttempts() throws Exception {
        IterationHistory h = new IterationHistory();
        for (int i = 1; i <= 20; i++) {
            // Three-byte characters: the cap is in UTF-8 bytes, which is what the kernel limits.
            h.validationFailed(i, "€".repeat(5000), 1, "reason " + i, "ü".repeat(5000));
        }
        String json = h.toJson();
        assertThat(json.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(IterationHistory.MAX_JSON_BYTES);
        JsonNode arr = Json.MAPPER.readTree(json);
        assertThat(arr.size()).isBetween(1, 19);
        assertThat(arr.get(arr.size() - 1).get("iteration").asInt()).as("latest attempt kept").isEqualTo(20);
        assertThat(arr.get(0).get("iteration").asInt()).isEqualTo(20 - arr.size() + 1);
        assertThat(h.attempts()).hasSize(20);
    }

    @Test
    void bootstrapRendersTheHistoryIntoThePrompt(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isExecutable(PYTHON), "needs /usr/bin/python3");
        Path script = BootstrapScript.extractTo(dir);
        String snippet = """
                import importlib.util, sys
                spec = importlib.util.spec_from_file_location("aegis_bootstrap", sys.argv[1])
                mod = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(mod)
                history = mod.parse_history(sys.stdin.read())
                sys.stdout.write("ENTRIES=%d\\n" % len(history))
                sys.stdout.write(mod.build_prompt("DO THE TASK", history))
                """;
        Process p = new ProcessBuilder(PYTHON.toString(), "-c", snippet, script.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try (var stdin = p.getOutputStream()) {
            stdin.write(sample().toJson().getBytes(StandardCharsets.UTF_8));
        }
        String prompt = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isZero();

        assertThat(prompt).startsWith("ENTRIES=3\n### Previous Attempts");
        assertThat(prompt).contains("#### Iteration 1\nError: container failed to start: image not found");
        // The JSON output arrives as a string; bootstrap unwraps it and pretty-prints it.
        assertThat(prompt).contains("#### Iteration 2\nOutput:\n{\n  \"sum\": \"3\"\n}\nExit code: 0\n"
                + "Feedback:\n- $.sum: string found, number expected");
        // Without feedback the reason is shown instead.
        assertThat(prompt).contains("#### Iteration 3\nOutput:\npartial\nExit code: 1\n"
                + "Validation failed: exit code 1, expected 0");
        assertThat(prompt).endsWith("### Current Attempt\n\nDO THE TASK");
    }
}
