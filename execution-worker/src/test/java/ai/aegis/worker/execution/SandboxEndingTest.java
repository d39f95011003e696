package ai.aegis.worker.execution;

import ai.aegis.schemas.agent.AgentManifests;
import ai.aegis.schemas.agent.AgentRecord;
import ai.aegis.schemas.execution.ExecutionEvent;
import ai.aegis.schemas.execution.ExecutionRequest;
import ai.aegis.worker.gateway.InnerLoopRegistry;
import ai.aegis.worker.runtime.ContainerRuntime;
import ai.aegis.worker.runtime.SandboxResult;
import ai.aegis.worker.runtime.SandboxSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** How {@link ExecutionRunner} reads a sandbox's ending into an iteration's error, with a runtime that only answers. */
class SandboxEndingTest {

    private static final String OOM_LINE = "[AEGIS] killed: out of memory (limit 64 MiB)";

    @TempDir
    Path workDir;

    private RecordingSink events = new RecordingSink();

    /** The error of the single iteration of an agent (64 MiB, one iteration) whose sandbox ended as given. */
    private ExecutionEvent.IterationError errorOf(SandboxResult answer) throws Exception {
        ContainerRuntime runtime = new ContainerRuntime() {
            @Override
            public String name() {
                return "answering";
            }

            @Override
            public boolean isolates() {
                return true;
            }

            @Override
            public SandboxResult run(SandboxSpec spec, OutputListener output) {
                return answer;
            }
        };
        ExecutionRunner runner = new ExecutionRunner(runtime, new InnerLoopRegistry(),
                new ExecutionRunner.RunnerConfig(new InetSocketAddress("127.0.0.1", 9), workDir, 1 << 20, "python3"),
                name -> Optional.empty(), result -> { });
        AgentRecord agent = new AgentRecord("a1", "mem", "1.0.0", null, AgentRecord.ACTIVE, List.of(), null,
                Instant.EPOCH, Instant.EPOCH, AgentManifests.parse("""
                        apiVersion: 100monkeys.ai/v1
                        kind: Agent
                        metadata: {name: mem, version: "1.0.0"}
                        spec:
                          runtime: {language: python, version: "3.11"}
                          task: {instruction: use memory}
                          execution: {mode: iterative, max_iterations: 1}
                          security: {resources: {memory: 64Mi}}
                        """).tree());
        ExecutionRequest request = ExecutionRequest.forAgent(agent).setExecutionId("e1").setInput("go")
                .setRequestedAt(Instant.EPOCH).build();
        runner.run(request, events, new ExecutionControl("e1"));
        assertThat(events.all().getLast()).isInstanceOf(ExecutionEvent.ExecutionFailed.class);
        return events.of(ExecutionEvent.IterationFailed.class).getFirst().error();
    }

    private static SandboxResult ended(int exitCode, String stderr, SandboxResult.Ending ending) {
        return new SandboxResult(exitCode, "", stderr, false, ending, Duration.ofMillis(5));
    }

    @Test
    void anOutOfMemoryEndingIsAnOutOfMemoryIterationWithTheRuntimesLine() throws Exception {
        String stderr = "allocating\n" + OOM_LINE + "\n";

        ExecutionEvent.IterationError error = errorOf(ended(137, stderr, SandboxResult.Ending.OUT_OF_MEMORY));

        assertThat(error).isEqualTo(new ExecutionEvent.IterationError("out_of_memory", OOM_LINE, stderr));
    }

    @Test
    void theOutOfMemoryLineInStderrAloneIsNotTakenForOne() throws Exception {
        // Only the runtime says out of memory: an agent that prints the line has merely failed.
        ExecutionEvent.IterationError error = errorOf(ended(1, OOM_LINE + "\n", SandboxResult.Ending.EXITED));

        assertThat(error.errorType()).isEqualTo("runtime_error");
        assertThat(error.message()).isEqualTo("the agent process exited with code 1: " + OOM_LINE);
    }

    @Test
    void aSigkillInEitherConventionIsAKill() throws Exception {
        assertThat(errorOf(ended(SandboxResult.SIGKILL_STATUS, "", SandboxResult.Ending.EXITED)).message())
                .isEqualTo("the agent process was killed (exit 137)");
        events = new RecordingSink();
        assertThat(errorOf(ended(SandboxResult.SIGKILL_NEGATED, "bye\n", SandboxResult.Ending.EXITED)).message())
                .isEqualTo("the agent process was killed (exit -9): bye");
    }

    @Test
    void aTimeoutIsATimeout() throws Exception {
        ExecutionEvent.IterationError error = errorOf(ended(SandboxResult.NO_EXIT_CODE, "",
                SandboxResult.Ending.TIMED_OUT));

        assertThat(error.errorType()).isEqualTo("timeout");
    }
}
