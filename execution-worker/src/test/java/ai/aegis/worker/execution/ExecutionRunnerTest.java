package ai.aegis.worker.execution;

import ai.aegis.schemas.agent.AgentManifests;
import ai.aegis.schemas.agent.AgentRecord;
import ai.aegis.schemas.execution.ExecutionEvent;
import ai.aegis.schemas.execution.ExecutionRequest;
import ai.aegis.schemas.execution.ExecutionStatus;
import ai.aegis.schemas.json.Json;
import ai.aegis.schemas.workflow.WorkflowStepResult;
import ai.aegis.worker.gateway.DispatchGateway;
import ai.aegis.worker.gateway.GatewayException;
import ai.aegis.worker.gateway.InnerLoopRegistry;
import ai.aegis.worker.llm.ModelRegistry;
import ai.aegis.worker.llm.ResolvedModel;
import ai.aegis.worker.llm.scripted.ScriptStep;
import ai.aegis.worker.llm.scripted.ScriptedProvider;
import ai.aegis.worker.runtime.BootstrapScript;
import ai.aegis.worker.runtime.ContainerRuntime;
import ai.aegis.worker.runtime.SandboxException;
import ai.aegis.worker.runtime.SandboxResult;
import ai.aegis.worker.runtime.SandboxSpec;
import ai.aegis.worker.smcp.SmcpMetrics;
import ai.aegis.worker.smcp.tools.ToolInvoker;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

/**
 * The refinement loop of {@link ExecutionRunner}, without Kafka and without a real sandbox: a fake runtime plays each
 * iteration's sandbox. Where an iteration talks to the model it does what bootstrap.py does, against the real
 * dispatch gateway (in-process) and the scripted model: {@code generate}, run each dispatched command,
 * {@code dispatch_result}, until {@code final}.
 */
class ExecutionRunnerTest {

    private static final long MAX_OUTPUT = 65_536;
    private static final String PROMPT = "Check whether the number is prime\n\nUser: 7919\nAgent:";
    /** The agent runs one command and answers with what it printed; the regex validator judges the answer. */
    private static final ScriptedProvider MODEL = new ScriptedProvider("scripted-test", Map.of("prime", List.of(
            ScriptStep.toolCall("cmd.run", Json.tree("{\"command\":\"python3 check.py 7919\"}")),
            ScriptStep.reply("{{last_tool_stdout}}"))));
    private static final String PASSES = "7919 is prime";
    private static final String FAILS = "7919 is probably prime";

    @TempDir
    Path workDir;

    private final InnerLoopRegistry sessions = new InnerLoopRegistry();
    private final DispatchGateway gateway = new DispatchGateway(sessions,
            new ModelRegistry(List.of(new ResolvedModel("prime", MODEL, "prime"))), ToolInvoker.builtinOnly(MAX_OUTPUT),
            new SmcpMetrics());
    private final FakeRuntime sandboxes = new FakeRuntime();
    private final RecordingSink events = new RecordingSink();
    private final String executionId = UUID.randomUUID().toString();
    /** The agents the worker's registry view knows, by name. */
    private final Map<String, AgentRecord> deployed = new ConcurrentHashMap<>();
    private final List<WorkflowStepResult> steps = new CopyOnWriteArrayList<>();

    @Test
    void anAnswerThatPassesOnTheFirstIterationCompletesTheExecution() throws Exception {
        sandboxes.then(agentPrinting(PASSES));

        run(agent("20s"));

        assertThat(events.types()).containsExactly("execution_started", "iteration_started", "llm_interaction",
                "tool_call", "llm_interaction", "iteration_output", "iteration_completed", "validation_performed",
                "execution_completed");
        assertThat(events.of(ExecutionEvent.ToolCall.class)).singleElement().satisfies(call -> {
            assertThat(call.name()).isEqualTo("cmd.run");
            assertThat(call.arguments().path("command").asText()).isEqualTo("python3 check.py 7919");
            assertThat(call.exitCode()).isZero();
        });
        assertThat(events.of(ExecutionEvent.ValidationPerformed.class)).singleElement()
                .satisfies(v -> assertThat(v.passed()).isTrue());
        ExecutionEvent.ExecutionCompleted completed = events.last(ExecutionEvent.ExecutionCompleted.class);
        assertThat(completed.finalOutput()).isEqualTo(PASSES);
        assertThat(completed.totalIterations()).isEqualTo(1);
        // Only the terminal event waits for durability: the others are fire-and-forget.
        assertThat(events.durable()).containsExactly(completed);
        assertThat(sessions.size()).isZero();
    }

    @Test
    void aRejectedAnswerIsRetriedWithTheHistoryHandedToTheNextSandbox() throws Exception {
        sandboxes.then(agentPrinting(FAILS)).then(agentPrinting(PASSES));

        run(agent("20s"));

        assertThat(events.of(ExecutionEvent.ValidationPerformed.class))
                .extracting(ExecutionEvent.ValidationPerformed::iterationNumber,
                        ExecutionEvent.ValidationPerformed::passed)
                .containsExactly(tuple(1, false), tuple(2, true));
        ExecutionEvent.ExecutionCompleted completed = events.last(ExecutionEvent.ExecutionCompleted.class);
        assertThat(completed.finalOutput()).isEqualTo(PASSES);
        assertThat(completed.totalIterations()).isEqualTo(2);

        List<SandboxSpec> specs = sandboxes.specs();
        assertThat(specs).extracting(SandboxSpec::iteration).containsExactly(1, 2);
        assertThat(specs.get(0).env()).doesNotContainKey("AEGIS_ITERATION_HISTORY");
        JsonNode history = historyOf(specs.get(1));
        assertThat(history).hasSize(1);
        assertThat(history.get(0).path("iteration").asInt()).isEqualTo(1);
        assertThat(history.get(0).path("output").asText()).isEqualTo(FAILS);
        assertThat(history.get(0).path("validation_reason").asText()).isEqualTo("stdout does not match /is prime$/");
        assertThat(specs.get(1).env().get("AEGIS_ITERATION")).isEqualTo("2");
        // Each iteration has its own session and token: the first sandbox's token opens nothing later.
        assertThat(specs.get(1).env().get("AEGIS_EXECUTION_TOKEN"))
                .isNotEqualTo(specs.get(0).env().get("AEGIS_EXECUTION_TOKEN"));
    }

    @Test
    void whenEveryIterationIsRejectedTheExecutionFailsWithTheLastReason() throws Exception {
        sandboxes.then(agentPrinting(FAILS)).then(agentPrinting(FAILS)).then(agentPrinting(FAILS));

        run(agent("20s"));

        assertThat(sandboxes.specs()).hasSize(3);
        assertThat(events.of(ExecutionEvent.IterationStarted.class)).hasSize(3);
        ExecutionEvent.ExecutionFailed failed = events.last(ExecutionEvent.ExecutionFailed.class);
        assertThat(failed.reason()).isEqualTo(
                "all 3 iteration(s) failed; last: validation failed (regex): stdout does not match /is prime$/");
        assertThat(failed.totalIterations()).isEqualTo(3);
        assertThat(historyOf(sandboxes.specs().get(2)))
                .extracting(entry -> entry.path("iteration").asInt()).containsExactly(1, 2);
        assertThat(events.durable()).containsExactly(failed);
    }

    @Test
    void anIterationThatTimesOutIsRetriedWhileTheOverallTimeoutLeavesRoom() throws Exception {
        sandboxes.then(timesOut()).then(agentPrinting(PASSES));

        run(agent("20s"));

        assertThat(sandboxes.specs().get(0).timeout()).isEqualTo(Duration.ofSeconds(20));
        assertThat(events.of(ExecutionEvent.IterationFailed.class)).singleElement().satisfies(f -> {
            assertThat(f.iterationNumber()).isEqualTo(1);
            assertThat(f.error().errorType()).isEqualTo("timeout");
            assertThat(f.error().message()).isEqualTo("iteration timed out after 20 s");
        });
        assertThat(historyOf(sandboxes.specs().get(1)).get(0).path("error").asText())
                .isEqualTo("iteration timed out after 20 s");
        assertThat(events.last(ExecutionEvent.ExecutionCompleted.class).totalIterations()).isEqualTo(2);
    }

    @Test
    void anIterationCutShortByTheOverallTimeoutEndsTheExecutionAsTimedOut() throws Exception {
        sandboxes.then(timesOut());

        run(agent("5m")); // longer than the overall 60 s: the overall timeout bounds the iteration

        assertThat(sandboxes.specs()).singleElement().satisfies(spec -> assertThat(spec.timeout())
                .isLessThanOrEqualTo(Duration.ofSeconds(60)).isGreaterThan(Duration.ofSeconds(50)));
        assertThat(events.types()).containsExactly("execution_started", "iteration_started", "iteration_failed",
                "execution_timed_out");
        ExecutionEvent.ExecutionTimedOut timedOut = events.last(ExecutionEvent.ExecutionTimedOut.class);
        assertThat(timedOut.timeoutSeconds()).isEqualTo(60);
        assertThat(timedOut.totalIterations()).isEqualTo(1);
    }

    @Test
    void aSandboxThatCannotStartFailsTheExecutionCleanly() throws Exception {
        sandboxes.then(crashes()).then(crashes()).then(crashes());

        run(agent("20s"));

        assertThat(events.of(ExecutionEvent.IterationFailed.class)).hasSize(3).allSatisfy(f -> {
            assertThat(f.error().errorType()).isEqualTo("sandbox_error");
            assertThat(f.error().message()).isEqualTo("the sandbox could not start: image pull failed");
        });
        ExecutionEvent.ExecutionFailed failed = events.last(ExecutionEvent.ExecutionFailed.class);
        assertThat(failed.reason())
                .isEqualTo("all 3 iteration(s) failed; last: the sandbox could not start: image pull failed");
        assertThat(events.all().getLast()).isEqualTo(failed);
        // Nothing of the iterations is left behind: no session, no dispatch socket.
        assertThat(sessions.size()).isZero();
        assertThat(workDir).isEmptyDirectory();
    }

    @Test
    void cancellingInterruptsTheRunningSandboxAndEndsTheExecutionAsCancelled() throws Exception {
        CountDownLatch sandboxRunning = new CountDownLatch(1);
        AtomicBoolean sandboxSawTheInterrupt = new AtomicBoolean();
        sandboxes.then((spec, output) -> {
            sandboxRunning.countDown();
            try {
                new CountDownLatch(1).await(); // a sandbox that would run for ever
            } catch (InterruptedException e) {
                // what a runtime does: kill the sandbox, keep the flag set, return what was captured
                sandboxSawTheInterrupt.set(true);
                Thread.currentThread().interrupt();
            }
            return new SandboxResult(SandboxResult.NO_EXIT_CODE, "", "", false, SandboxResult.Ending.KILLED,
                    Duration.ZERO);
        });
        ExecutionControl control = new ExecutionControl(executionId);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread execution = Thread.ofVirtual().unstarted(() -> {
            try {
                runner().run(request(agent("20s")), events, control);
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        control.bind(execution);
        execution.start();

        await().atMost(Duration.ofSeconds(10)).until(() -> sandboxRunning.getCount() == 0);
        control.cancel("the user asked");
        await().atMost(Duration.ofSeconds(10)).until(() -> !execution.isAlive());

        assertThat(failure.get()).isNull();
        assertThat(sandboxSawTheInterrupt.get()).isTrue();
        assertThat(events.types()).containsExactly("execution_started", "iteration_started", "iteration_failed",
                "execution_cancelled");
        assertThat(events.last(ExecutionEvent.IterationFailed.class).error().errorType()).isEqualTo("cancelled");
        assertThat(events.last(ExecutionEvent.ExecutionCancelled.class).reason()).isEqualTo("the user asked");
        assertThat(sandboxes.specs()).hasSize(1);
    }

    @Test
    void onlyTheManifestsHarmlessVariablesAndTheWorkersOwnReachTheSandbox() throws Exception {
        sandboxes.then(agentPrinting(PASSES));

        AgentRecord agent = agent("20s");
        run(agent);

        Map<String, String> env = sandboxes.specs().getFirst().env();
        assertThat(env).containsEntry("GREETING", "hello")
                .doesNotContainKeys("DATABASE_URL", "PATH", "LD_PRELOAD")
                .containsEntry("AEGIS_EXECUTION_ID", executionId)
                .containsEntry("AEGIS_AGENT_ID", agent.id())
                .containsEntry("AEGIS_ITERATION", "1")
                .containsEntry("AEGIS_MODEL_ALIAS", "prime")
                .containsEntry("AEGIS_LLM_TIMEOUT_SECONDS", "45")
                .containsEntry("AEGIS_DISPATCH_SOCKET", SandboxSpec.SANDBOX_SOCKET)
                .containsKey("AEGIS_EXECUTION_TOKEN");
        assertThat(env.keySet()).allSatisfy(name -> assertThat(name).matches("GREETING|AEGIS_.*"));
    }

    @Test
    void theSandboxGetsTheManifestsLimitsAndImageSelection() throws Exception {
        sandboxes.then(agentPrinting(PASSES));

        run(agent("20s"));

        FakeRuntime.Run run = sandboxes.runs().getFirst();
        SandboxSpec spec = run.spec();
        assertThat(spec.executionId()).isEqualTo(executionId);
        assertThat(spec.cpuMillicores()).isEqualTo(250);
        assertThat(spec.memoryBytes()).isEqualTo(128L << 20);
        assertThat(spec.diskBytes()).isEqualTo(96L << 20);
        assertThat(spec.networkAllowed()).isTrue();
        assertThat(spec.timeout()).isEqualTo(Duration.ofSeconds(20));
        assertThat(spec.image()).isNull();
        assertThat(spec.language()).isEqualTo("python");
        assertThat(spec.languageVersion()).isEqualTo("3.11");
        assertThat(spec.pullPolicy()).isEqualTo("Never");
        assertThat(spec.pidsLimit()).isEqualTo(SandboxSpec.DEFAULT_PIDS_LIMIT);
        assertThat(spec.maxOutputBytes()).isEqualTo(MAX_OUTPUT);
        // the prompt is an input file: an argument would be public in /proc and at most 128 KiB
        assertThat(spec.argv()).containsExactly("python3", BootstrapScript.SANDBOX_PATH);
        assertThat(spec.files()).containsExactly(Map.entry(BootstrapScript.PROMPT_FILE, PROMPT));
        // The dispatch socket exists while the sandbox runs, and is gone with it.
        assertThat(run.socketPresent()).isTrue();
        assertThat(spec.dispatchSocket()).doesNotExist();
        assertThat(workDir).isEmptyDirectory();
    }

    @Test
    void aWorkflowStepNamingItsAgentRunsTheResolvedAgentAndReportsItsEnd() throws Exception {
        AgentRecord agent = agent("20s");
        deployed.put("prime-checker", agent);
        sandboxes.then(agentPrinting(PASSES));
        ExecutionRequest.WorkflowLink link = new ExecutionRequest.WorkflowLink(UUID.randomUUID().toString(), 2,
                "check");

        runner().run(ExecutionRequest.forWorkflowStep(link, "prime-checker").setExecutionId(executionId)
                .setInput("7919").setRequestedAt(Instant.now()).build(), events, new ExecutionControl(executionId));

        assertThat(events.last(ExecutionEvent.ExecutionStarted.class).agentId()).isEqualTo(agent.id());
        assertThat(sandboxes.specs().getFirst().env()).containsEntry("AEGIS_AGENT_ID", agent.id());
        assertThat(steps).singleElement().satisfies(step -> {
            assertThat(step.workflowExecutionId()).isEqualTo(link.workflowExecutionId());
            assertThat(step.step()).isEqualTo(2);
            assertThat(step.executionId()).isEqualTo(executionId);
            assertThat(step.status()).isEqualTo(ExecutionStatus.COMPLETED);
            assertThat(step.output()).isEqualTo(PASSES);
            assertThat(step.score()).isEqualTo(1.0);
        });
    }

    // --------------------------------------------------------------------------------------------- helpers

    /**
     * An agent whose model runs {@code python3 check.py 7919} and answers with its output, judged by
     * {@code regex: is prime$}; three iterations, an overall timeout of 60 s, an environment with names the worker
     * must not pass on.
     */
    private static AgentRecord agent(String iterationTimeout) {
        String yaml = """
                apiVersion: 100monkeys.ai/v1
                kind: Agent
                metadata: {name: prime-checker, version: "1.0.0"}
                spec:
                  runtime: {language: python, version: "3.11", image_pull_policy: Never, model: prime}
                  task: {instruction: Check whether the number is prime}
                  tools: [cmd.run]
                  execution:
                    max_iterations: 3
                    iteration_timeout: %s
                    llm_timeout_seconds: 45
                    validation:
                      - {type: regex, pattern: "is prime$"}
                  security:
                    network: {mode: allow}
                    resources: {cpu: 250, memory: 128Mi, disk: 96Mi, timeout: 60s}
                  env: {GREETING: hello, DATABASE_URL: "postgres://secret", PATH: /evil, LD_PRELOAD: /tmp/evil.so}
                """.formatted(iterationTimeout);
        Instant deployed = Instant.parse("2026-03-01T09:00:00Z");
        return new AgentRecord(UUID.randomUUID().toString(), "prime-checker", "1.0.0", null, AgentRecord.ACTIVE,
                List.of(), Map.of(), deployed, deployed, AgentManifests.parse(yaml).tree());
    }

    /** The attempts so far, as the sandbox of a later iteration receives them. */
    private static JsonNode historyOf(SandboxSpec spec) {
        assertThat(spec.env()).containsKey("AEGIS_ITERATION_HISTORY");
        return Json.tree(spec.env().get("AEGIS_ITERATION_HISTORY"));
    }

    private ExecutionRequest request(AgentRecord agent) {
        return ExecutionRequest.forAgent(agent).setExecutionId(executionId).setInput("7919")
                .setRequestedAt(Instant.now()).build();
    }

    private ExecutionRunner runner() {
        // The sandbox plays bootstrap.py in-process, so the TCP address behind the dispatch socket is never dialled.
        InetSocketAddress unused = new InetSocketAddress(InetAddress.getLoopbackAddress(), 9);
        return new ExecutionRunner(sandboxes, sessions,
                new ExecutionRunner.RunnerConfig(unused, workDir, MAX_OUTPUT, "python3"),
                name -> Optional.ofNullable(deployed.get(name)), steps::add);
    }

    private void run(AgentRecord agent) throws Exception {
        runner().run(request(agent), events, new ExecutionControl(executionId));
    }

    /**
     * A sandbox that does what bootstrap.py does: starts the conversation, runs each dispatched command (which
     * prints {@code commandOutput}), returns the result, and prints the final answer.
     */
    private Sandbox agentPrinting(String commandOutput) {
        return (spec, output) -> {
            String token = spec.env().get("AEGIS_EXECUTION_TOKEN");
            ObjectNode message = Json.object();
            message.put("type", "generate");
            message.put("execution_id", spec.env().get("AEGIS_EXECUTION_ID"));
            message.put("iteration_number", Integer.parseInt(spec.env().get("AEGIS_ITERATION")));
            message.put("prompt", spec.files().get(BootstrapScript.PROMPT_FILE));
            try {
                ObjectNode reply = gateway.handle(token, message);
                while ("dispatch".equals(reply.path("type").asText())) {
                    ObjectNode result = Json.object();
                    result.put("type", "dispatch_result");
                    result.put("execution_id", spec.env().get("AEGIS_EXECUTION_ID"));
                    result.put("dispatch_id", reply.path("dispatch_id").asText());
                    result.put("exit_code", 0);
                    result.put("stdout", commandOutput + "\n");
                    result.put("stderr", "");
                    reply = gateway.handle(token, result);
                }
                String answer = reply.path("content").asText();
                output.line("stdout", answer);
                return new SandboxResult(0, answer + "\n", "", false, SandboxResult.Ending.EXITED,
                        Duration.ofMillis(5));
            } catch (GatewayException e) {
                return new SandboxResult(1, "", "[AEGIS] " + e.getMessage() + "\n", false, SandboxResult.Ending.EXITED,
                        Duration.ZERO);
            }
        };
    }

    /** A sandbox that the runtime killed at the spec's timeout. */
    private static Sandbox timesOut() {
        return (spec, output) -> new SandboxResult(SandboxResult.NO_EXIT_CODE, "", "[AEGIS] killed: timed out after "
                + spec.timeout().toSeconds() + "s\n", false, SandboxResult.Ending.TIMED_OUT, spec.timeout());
    }

    private static Sandbox crashes() {
        return (spec, output) -> {
            throw new SandboxException("image pull failed");
        };
    }

    /** One iteration's sandbox, as the test scripts it. */
    @FunctionalInterface
    private interface Sandbox {
        SandboxResult run(SandboxSpec spec, ContainerRuntime.OutputListener output) throws SandboxException;
    }

    /** Runs the scripted sandboxes in order, one per iteration, and keeps the specs it was given. */
    private static final class FakeRuntime implements ContainerRuntime {

        record Run(SandboxSpec spec, boolean socketPresent) {
        }

        private final Deque<Sandbox> script = new ArrayDeque<>();
        private final List<Run> runs = Collections.synchronizedList(new ArrayList<>());

        FakeRuntime then(Sandbox sandbox) {
            script.add(sandbox);
            return this;
        }

        List<Run> runs() {
            synchronized (runs) {
                return List.copyOf(runs);
            }
        }

        List<SandboxSpec> specs() {
            return runs().stream().map(Run::spec).toList();
        }

        @Override
        public String name() {
            return "fake";
        }

        @Override
        public boolean isolates() {
            return true;
        }

        @Override
        public SandboxResult run(SandboxSpec spec, OutputListener output) throws SandboxException {
            runs.add(new Run(spec, spec.dispatchSocket() != null && Files.exists(spec.dispatchSocket())));
            Sandbox next = script.poll();
            if (next == null) {
                throw new AssertionError("the runner started sandbox " + spec.iteration() + " but the test "
                        + "scripted only " + (runs.size() - 1));
            }
            return next.run(spec, output);
        }
    }
}
