package ai.aegis.worker.execution;

import ai.aegis.schemas.execution.ExecutionEvent;
import ai.aegis.schemas.execution.ExecutionRequest;
import ai.aegis.schemas.json.Json;
import ai.aegis.worker.console.ConsoleConfig;
import ai.aegis.worker.gateway.InnerLoopRegistry;
import ai.aegis.worker.runtime.process.ProcessRuntime;
import ai.aegis.worker.runtime.process.ProcessRuntimeConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A sandbox that prints tens of MiB, through the runner and a real process sandbox: its console becomes a bounded
 * number of records of a few KiB, the middle is dropped and said so, the tail is kept, and nothing is lost unsaid.
 */
class ConsoleFloodTest {

    private static final long PRINTED = 50_000_000;

    @TempDir
    Path workDir;

    @Test
    void fiftyMegabytesOfConsoleBecomeAFewHundredRecordsWithTheTailKeptAndTheGapCounted() throws Exception {
        ConsoleConfig console = ConsoleConfig.defaults();
        RecordingSink events = new RecordingSink();
        String executionId = UUID.randomUUID().toString();
        ExecutionRunner runner = new ExecutionRunner(new ProcessRuntime(new ProcessRuntimeConfig(null, workDir)),
                new InnerLoopRegistry(), new ExecutionRunner.RunnerConfig(new InetSocketAddress("127.0.0.1", 9),
                workDir, 1 << 20, "python3", console), name -> Optional.empty(), step -> { });
        ExecutionRequest request = ExecutionRequest.forContainerRun(new ExecutionRequest.WorkflowLink(
                        UUID.randomUUID().toString(), 1, "flood"), new ExecutionRequest.ContainerRun(null,
                        List.of("/bin/sh", "-c", "yes | head -c " + PRINTED + "; echo done >&2"), Map.of(), 0, 0,
                        120, false))
                .setExecutionId(executionId).setRequestedAt(Json.now()).build();

        runner.run(request, events, new ExecutionControl(executionId));

        assertThat(events.all().getLast()).isInstanceOf(ExecutionEvent.ExecutionCompleted.class);
        List<ExecutionEvent.IterationOutput> out = events.of(ExecutionEvent.IterationOutput.class).stream()
                .filter(o -> o.stream().equals("stdout")).toList();
        // 1 MiB at most, in records of at most 4 KiB: a few hundred records instead of 25 million lines
        assertThat(out.size()).isBetween(2, (int) (console.maxBytesPerIteration() / 1000));
        assertThat(out).allSatisfy(o -> assertThat(o.output().length()).isLessThanOrEqualTo(console.chunkBytes()));
        assertThat(out.stream().mapToLong(o -> o.output().length()).sum())
                .isLessThanOrEqualTo(console.maxBytesPerIteration());
        // nothing lost unsaid: every byte printed is in a record (lines and the newlines between them) or counted
        long written = out.stream().mapToLong(o -> o.output().length() + 1).sum();
        long omitted = out.stream().filter(ExecutionEvent.IterationOutput::truncated)
                .mapToLong(ExecutionEvent.IterationOutput::omittedBytes).sum();
        assertThat(written + omitted).isEqualTo(PRINTED);
        assertThat(out.getFirst().truncated()).isFalse();
        assertThat(out.getFirst().output()).startsWith("y\ny\ny");
        assertThat(out.getLast().output()).matches("y(\\ny)*");
        assertThat(out.stream().filter(ExecutionEvent.IterationOutput::truncated)).isNotEmpty();
        // the other stream is its own, and the output precedes the iteration's end
        List<String> types = events.types();
        assertThat(events.of(ExecutionEvent.IterationOutput.class)).filteredOn(o -> o.stream().equals("stderr"))
                .singleElement().satisfies(o -> assertThat(o.output()).isEqualTo("done"));
        assertThat(types.lastIndexOf("iteration_output")).isLessThan(types.indexOf("iteration_completed"));
    }
}
