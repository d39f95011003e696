package ai.aegis.cli;

import ai.aegis.worker.llm.scripted.ScriptStep;
import ai.aegis.worker.runtime.ContainerRuntime;
import ai.aegis.worker.runtime.bubblewrap.BubblewrapRuntime;
import ai.aegis.worker.runtime.bubblewrap.BubblewrapRuntimeConfig;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An input the API accepts but no command line can carry: over the kernel's 128 KiB limit of one argument, it reaches
 * the sandbox (and through bootstrap.py the model) as a file, on the real path from the HTTP request to the end.
 */
class LargeInputExecutionTest {

    private static final int INPUT_BYTES = 200 * 1024;

    @TempDir
    Path dataDir;

    @ParameterizedTest
    @ValueSource(strings = {"process", "bubblewrap"})
    void anExecutionWhoseInputIs200KiBRuns(String runtimeName) throws Exception {
        ContainerRuntime runtime = null; // TestSystem's default: the process runtime
        if (runtimeName.equals("bubblewrap")) {
            Assumptions.assumeFalse("skip".equals(System.getProperty("aegis.test.bwrap")),
                    "bubblewrap tests skipped by -Daegis.test.bwrap=skip");
            runtime = new BubblewrapRuntime(BubblewrapRuntimeConfig.under(dataDir.resolve("sandboxes")));
        }
        String tail = "end-of-input-" + UUID.randomUUID();
        String input = "x".repeat(INPUT_BYTES) + tail;
        // the scripted model answers with the prompt it was sent: the whole input must be in it
        try (TestSystem system = new TestSystem(dataDir, Map.of("echo", List.of(ScriptStep.reply("{{input}}"))),
                runtime)) {
            String agentId = system.deploy(TestSystem.agent("large-input-" + runtimeName, "echo", 1));

            String executionId = system.startExecution(agentId, input);
            JsonNode end = system.awaitEnd(executionId, Duration.ofSeconds(90));

            assertThat(end.path("status").asText()).as(() -> end.path("error").toString()).isEqualTo("completed");
            assertThat(end.path("final_output").asText()).contains(input);
        }
    }
}
