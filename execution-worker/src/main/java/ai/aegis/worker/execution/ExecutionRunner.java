package ai.aegis.worker.execution;

import ai.aegis.schemas.agent.AgentManifest;
import ai.aegis.schemas.agent.AgentManifests;
import ai.aegis.schemas.agent.AgentRecord;
import ai.aegis.schemas.execution.ExecutionEvent;
import ai.aegis.schemas.execution.ExecutionRequest;
import ai.aegis.schemas.execution.ExecutionStatus;
import ai.aegis.schemas.json.Json;
import ai.aegis.schemas.workflow.WorkflowStepResult;
import ai.aegis.worker.console.ConsoleConfig;
import ai.aegis.worker.console.ConsoleOutput;
import ai.aegis.worker.gateway.InnerLoopRegistry;
import ai.aegis.worker.gateway.InnerLoopSession;
import ai.aegis.worker.smcp.IterationSecurity;
import ai.aegis.worker.smcp.policy.SecurityContext;
import ai.aegis.worker.runtime.BootstrapScript;
import ai.aegis.worker.runtime.ContainerRuntime;
import ai.aegis.worker.runtime.GatewaySocket;
import ai.aegis.worker.runtime.SandboxException;
import ai.aegis.worker.runtime.SandboxResult;
import ai.aegis.worker.runtime.SandboxSpec;
import ai.aegis.worker.validation.IterationHistory;
import ai.aegis.worker.validation.JudgeException;
import ai.aegis.worker.validation.JudgeRunner;
import ai.aegis.worker.validation.ValidationInput;
import ai.aegis.worker.validation.ValidationPipeline;
import ai.aegis.worker.validation.ValidationResult;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Runs one execution to its end, the original's "100 monkeys" loop: {@code execution_started}, then
 * iterations, each in a fresh sandbox that sees the history of earlier attempts, until one produces an output that
 * passes the agent's validators or {@code max_iterations} is spent, all within the overall timeout. It always ends
 * with exactly one terminal event, except when the worker abandons the execution (rebalance, shutdown): then
 * another worker runs it again and writes the end.
 */
public final class ExecutionRunner {

    private static final System.Logger LOG = System.getLogger(ExecutionRunner.class.getName());
    private static final SecureRandom RANDOM = new SecureRandom();
    /** Judges of judges of judges: deeper is refused, so a judge that judges with itself cannot recurse forever. */
    public static final int MAX_DEPTH = 3;

    private final ContainerRuntime runtime;
    private final InnerLoopRegistry sessions;
    private final RunnerConfig config;
    private final Function<String, Optional<AgentRecord>> agentsByName;
    private final StepReporter steps;
    private final IterationSecurity security;

    /**
     * @param gateway        the dispatch gateway's TCP address, reached from sandboxes through a Unix socket
     * @param workDir        where per-iteration sockets are created
     * @param maxOutputBytes cap for captured output of the sandbox and of each command
     * @param console        how console lines become {@code iteration_output} records
     */
    public record RunnerConfig(InetSocketAddress gateway, Path workDir, long maxOutputBytes, String pythonCommand,
                               ConsoleConfig console) {

        /** With the default console settings. */
        public RunnerConfig(InetSocketAddress gateway, Path workDir, long maxOutputBytes, String pythonCommand) {
            this(gateway, workDir, maxOutputBytes, pythonCommand, ConsoleConfig.defaults());
        }
    }

    /**
     * @param agentsByName resolves an agent by name or id (judges, and workflow steps that name their agent)
     * @param steps        reports the end of executions a workflow started
     */
    public ExecutionRunner(ContainerRuntime runtime, InnerLoopRegistry sessions, RunnerConfig config,
                           Function<String, Optional<AgentRecord>> agentsByName, StepReporter steps) {
        this(runtime, sessions, config, agentsByName, steps, IterationSecurity.unattested());
    }

    /** @param security the iterations' security contexts, and SMCP attestation */
    public ExecutionRunner(ContainerRuntime runtime, InnerLoopRegistry sessions, RunnerConfig config,
                           Function<String, Optional<AgentRecord>> agentsByName, StepReporter steps,
                           IterationSecurity security) {
        this.runtime = runtime;
        this.sessions = sessions;
        this.config = config;
        this.agentsByName = agentsByName;
        this.steps = steps;
        this.security = security;
    }

    /**
     * How an execution ended, for a parent waiting on it (a judge's output) and for the workflow that started it.
     *
     * @param status   how it ended (a {@link WorkflowStepResult} status); null when the execution was abandoned (it
     *                 runs again)
     * @param exitCode set for container runs
     * @param score    the last validation score, when there was one
     */
    record Outcome(String output, String failure, ExecutionStatus status, Integer exitCode, Double score) {
        static Outcome completed(String output, Double score) {
            return new Outcome(output, null, ExecutionStatus.COMPLETED, null, score);
        }

        static Outcome failed(ExecutionStatus status, String failure) {
            return new Outcome(null, failure, status, null, null);
        }

        static Outcome cancelled() {
            return failed(ExecutionStatus.CANCELLED, "cancelled");
        }
    }

    public void run(ExecutionRequest request, EventSink events, ExecutionControl control) throws Exception {
        Outcome outcome = request.containerRun() != null
                ? runContainer(request, events, control)
                : run(resolveAgent(request), events, control, 0);
        ExecutionRequest.WorkflowLink link = request.workflow();
        if (link != null && outcome.status() != null) {
            Thread.interrupted(); // a cancelled step is still reported: the workflow waits for it
            steps.report(new WorkflowStepResult(link.workflowExecutionId(), link.step(), request.executionId(),
                    outcome.status(), outcome.output() == null ? "" : outcome.output(), outcome.failure(),
                    outcome.exitCode(), outcome.score(), Json.now()));
        }
    }

    /** A workflow's request names its agent; the snapshot is taken now, from this worker's registry view. */
    private ExecutionRequest resolveAgent(ExecutionRequest request) {
        if (request.agent() != null || request.agentName() == null) {
            return request;
        }
        return agentsByName.apply(request.agentName())
                .map(a -> request.toBuilder().setAgent(a).build())
                .orElse(request);
    }

    /** A workflow's ContainerRun state: one container, its command as an argument vector, no model. */
    private Outcome runContainer(ExecutionRequest request, EventSink events, ExecutionControl control)
            throws Exception {
        String executionId = request.executionId();
        ExecutionRequest.ContainerRun run = request.containerRun();
        String agentId = request.agentId() == null ? "container-run" : request.agentId();
        if (control.stop() == ExecutionControl.Stop.CANCEL) {
            events.emitDurably(new ExecutionEvent.ExecutionCancelled(executionId, control.reason(), Json.now()));
            return Outcome.cancelled();
        }
        events.emit(new ExecutionEvent.ExecutionStarted(executionId, agentId, Json.now()));
        events.emit(new ExecutionEvent.IterationStarted(executionId, 1, String.join(" ", run.command()), Json.now()));
        EnvGuard.Filtered env = EnvGuard.filter(run.env() == null ? Map.of() : run.env());
        SandboxSpec spec = SandboxSpec.newBuilder()
                .setExecutionId(executionId)
                .setImage(run.image())
                .setArgv(run.command())
                .setEnv(env.allowed())
                .setTimeout(Duration.ofSeconds(run.timeoutSeconds()))
                .setMaxOutputBytes(config.maxOutputBytes())
                .setCpuMillicores(run.cpuMillicores())
                .setMemoryBytes(run.memoryBytes())
                .setNetworkAllowed(run.network())
                .build();
        SandboxResult result;
        try (ConsoleOutput console = console(executionId, 1, events::emit)) {
            result = runtime.run(spec, console);
        } catch (SandboxException e) {
            String reason = "the container could not start: " + e.getMessage();
            events.emit(new ExecutionEvent.IterationFailed(executionId, 1,
                    new ExecutionEvent.IterationError("sandbox_error", reason, null), Json.now()));
            events.emitDurably(new ExecutionEvent.ExecutionFailed(executionId, reason, 1, Json.now()));
            return Outcome.failed(ExecutionStatus.FAILED, reason);
        }
        if (control.stopped()) {
            return stopped(executionId, 1, true, events, control);
        }
        if (result.timedOut()) {
            events.emit(new ExecutionEvent.IterationFailed(executionId, 1, new ExecutionEvent.IterationError(
                    "timeout", "the container timed out after " + run.timeoutSeconds() + " s", result.stderr()),
                    Json.now()));
            events.emitDurably(new ExecutionEvent.ExecutionTimedOut(executionId, run.timeoutSeconds(), 1, Json.now()));
            return new Outcome(result.stdout(), "timed out", ExecutionStatus.TIMED_OUT, SandboxResult.NO_EXIT_CODE,
                    null);
        }
        // a non-zero exit is a result, not a failure of the run: the workflow's exit-code conditions decide
        events.emit(new ExecutionEvent.IterationCompleted(executionId, 1, result.stdout(), Json.now()));
        events.emitDurably(new ExecutionEvent.ExecutionCompleted(executionId, result.stdout(), 1, Json.now()));
        return new Outcome(result.stdout(), null, ExecutionStatus.COMPLETED, result.exitCode(), null);
    }

    private Outcome run(ExecutionRequest request, EventSink events, ExecutionControl control, int depth)
            throws Exception {
        String executionId = request.executionId();
        if (control.stop() == ExecutionControl.Stop.CANCEL) {
            events.emitDurably(new ExecutionEvent.ExecutionCancelled(executionId, control.reason(), Json.now()));
            return Outcome.cancelled();
        }
        if (control.stop() == ExecutionControl.Stop.ABANDON) {
            return new Outcome(null, "abandoned", null, null, null);
        }
        if (request.agent() == null) {
            events.emit(new ExecutionEvent.ExecutionStarted(executionId, request.agentId() == null ? ""
                    : request.agentId(), Json.now()));
            String reason = "agent '" + request.agentName() + "' is not deployed";
            events.emitDurably(new ExecutionEvent.ExecutionFailed(executionId, reason, 0, Json.now()));
            return Outcome.failed(ExecutionStatus.FAILED, reason);
        }
        AgentManifest manifest;
        ValidationPipeline pipeline;
        try {
            manifest = request.agent().parsedManifest();
            pipeline = ValidationPipeline.from(manifest.execution().validation(), judges(executionId, events, depth));
        } catch (RuntimeException e) {
            events.emit(new ExecutionEvent.ExecutionStarted(executionId, request.agentId(), Json.now()));
            String reason = "the agent's manifest cannot be run: " + e.getMessage();
            events.emitDurably(new ExecutionEvent.ExecutionFailed(executionId, reason, 0, Json.now()));
            return Outcome.failed(ExecutionStatus.FAILED, reason);
        }
        if (!runtime.isolates()) {
            LOG.log(System.Logger.Level.WARNING, "execution " + executionId + " runs on the '" + runtime.name()
                    + "' runtime, which does NOT isolate the agent from this host");
        }
        EnvGuard.Filtered env = EnvGuard.filter(manifest.env());
        if (!env.dropped().isEmpty()) {
            LOG.log(System.Logger.Level.WARNING, "execution " + executionId + ": environment variables not passed to "
                    + "the sandbox (blocked names): " + env.dropped());
        }
        long startedNanos = System.nanoTime();
        Duration overall = manifest.security().timeout();
        events.emit(new ExecutionEvent.ExecutionStarted(executionId, request.agentId(), Json.now()));
        String prompt = AgentManifests.renderPrompt(manifest, request.input(), request.contextOverrides());
        IterationHistory history = new IterationHistory();
        String lastError = "no iteration ran";
        int max = manifest.execution().maxIterations();
        for (int n = 1; n <= max; n++) {
            if (control.stopped()) {
                return stopped(executionId, n - 1, false, events, control);
            }
            Duration left = overall.minusNanos(System.nanoTime() - startedNanos);
            if (left.isNegative() || left.isZero()) {
                events.emitDurably(new ExecutionEvent.ExecutionTimedOut(executionId, overall.toSeconds(), n - 1,
                        Json.now()));
                return Outcome.failed(ExecutionStatus.TIMED_OUT, "timed out");
            }
            boolean overallBound = manifest.execution().iterationTimeout().compareTo(left) >= 0;
            Duration iterationTimeout = overallBound ? left : manifest.execution().iterationTimeout();
            events.emit(new ExecutionEvent.IterationStarted(executionId, n, prompt, Json.now()));
            Attempt attempt = iterate(request, manifest, env.allowed(), n, prompt, history, iterationTimeout, events);
            if (control.stopped()) {
                return stopped(executionId, n, true, events, control);
            }
            if (attempt.output == null) {
                events.emit(new ExecutionEvent.IterationFailed(executionId, n,
                        new ExecutionEvent.IterationError(attempt.errorType, attempt.error, attempt.details),
                        Json.now()));
                if (attempt.timedOut && overallBound) {
                    events.emitDurably(new ExecutionEvent.ExecutionTimedOut(executionId, overall.toSeconds(), n,
                            Json.now()));
                    return Outcome.failed(ExecutionStatus.TIMED_OUT, "timed out");
                }
                lastError = attempt.error;
                history.runFailed(n, attempt.error);
                continue;
            }
            events.emit(new ExecutionEvent.IterationCompleted(executionId, n, attempt.output, Json.now()));
            List<ValidationResult> results;
            try {
                results = pipeline.run(new ValidationInput(prompt, attempt.output, attempt.exitCode, attempt.stderr));
            } catch (InterruptedException e) {
                return stopped(executionId, n, false, events, control);
            }
            for (ValidationResult r : results) {
                events.emit(new ExecutionEvent.ValidationPerformed(executionId, n, r.validator(), r.score(),
                        r.confidence(), r.passed(), r.reason(), Json.now()));
            }
            ValidationResult failed = results.stream().filter(r -> !r.passed()).findFirst().orElse(null);
            if (failed == null) {
                events.emitDurably(new ExecutionEvent.ExecutionCompleted(executionId, attempt.output, n, Json.now()));
                return Outcome.completed(attempt.output, score(results));
            }
            lastError = "validation failed (" + failed.validator() + "): " + failed.reason();
            history.validationFailed(n, attempt.output, attempt.exitCode, failed);
        }
        String reason = "all " + max + " iteration(s) failed; last: " + lastError;
        events.emitDurably(new ExecutionEvent.ExecutionFailed(executionId, reason, max, Json.now()));
        return Outcome.failed(ExecutionStatus.FAILED, reason);
    }

    /**
     * The execution was cancelled or abandoned. A cancel ends it ({@code execution_cancelled}); an abandon leaves
     * the end to the worker that runs it next, and says why this iteration stopped.
     */
    private Outcome stopped(String executionId, int iteration, boolean inIteration, EventSink events,
                            ExecutionControl control) throws Exception {
        Thread.interrupted(); // the interrupt did its job (the sandbox is gone); writing the events must not fail
        boolean cancel = control.stop() == ExecutionControl.Stop.CANCEL;
        if (inIteration && iteration > 0) {
            ExecutionEvent failed = new ExecutionEvent.IterationFailed(executionId, iteration,
                    new ExecutionEvent.IterationError(cancel ? "cancelled" : "handover", cancel
                            ? "the execution was cancelled"
                            : "this worker gave the execution up (" + control.reason() + "); another worker runs it"
                            + " again", null), Json.now());
            if (cancel) {
                events.emit(failed);
            } else {
                // durable before this worker lets go, so it precedes the next owner's events
                events.emitDurably(failed);
            }
        }
        if (cancel) {
            events.emitDurably(new ExecutionEvent.ExecutionCancelled(executionId, control.reason(), Json.now()));
            return Outcome.cancelled();
        }
        return new Outcome(null, "abandoned", null, null, null);
    }

    /** The score of the last validator that gave one, for workflow conditions such as score_above. */
    private static Double score(List<ValidationResult> results) {
        return results.isEmpty() ? null : results.getLast().score();
    }

    /** The outcome of one iteration: an output (the sandbox ran to a final answer), or an error with its type. */
    private record Attempt(String output, int exitCode, String stderr, String errorType, String error, String details,
                           boolean timedOut) {
        static Attempt ok(String output, int exitCode, String stderr) {
            return new Attempt(output, exitCode, stderr, null, null, null, false);
        }

        static Attempt failed(String type, String error, String details, boolean timedOut) {
            return new Attempt(null, SandboxResult.NO_EXIT_CODE, null, type, error, details, timedOut);
        }
    }

    private Attempt iterate(ExecutionRequest request, AgentManifest manifest, Map<String, String> manifestEnv, int n,
                            String prompt, IterationHistory history, Duration timeout, EventSink events) {
        String executionId = request.executionId();
        String token = HexFormat.of().formatHex(randomBytes());
        Optional<SecurityContext> context = security.contextFor(manifest.security().securityContext());
        if (context.isEmpty()) {
            return Attempt.failed("configuration_error", "security context '" + manifest.security().securityContext()
                    + "' is not configured on this worker (aegis.smcp.security-contexts)", null, false);
        }
        InnerLoopSession session = new InnerLoopSession(executionId, request.agentId(), n, token, manifest.tools(),
                manifest.runtime().model(), context.get(), events);
        Map<String, String> env = new HashMap<>(manifestEnv);
        env.put("AEGIS_EXECUTION_ID", executionId);
        env.put("AEGIS_AGENT_ID", request.agentId());
        env.put("AEGIS_ITERATION", Integer.toString(n));
        env.put("AEGIS_MODEL_ALIAS", manifest.runtime().model());
        env.put("AEGIS_LLM_TIMEOUT_SECONDS", Long.toString(manifest.execution().llmTimeout().toSeconds()));
        env.put("AEGIS_ORCHESTRATOR_URL", "http://aegis-gateway");
        env.put("AEGIS_DISPATCH_SOCKET", SandboxSpec.SANDBOX_SOCKET);
        env.put("AEGIS_EXECUTION_TOKEN", token);
        env.put("AEGIS_SECURITY_CONTEXT", context.get().name());
        if (security.smcpEnabled()) {
            env.put("AEGIS_SMCP_ENABLED", "1");
        }
        if (!history.isEmpty()) {
            env.put("AEGIS_ITERATION_HISTORY", history.toJson());
        }
        Path socketDir = null;
        sessions.register(session);
        try {
            socketDir = Files.createTempDirectory(Files.createDirectories(config.workDir()), "aegis-gw-");
            // private: sandboxes reach the socket through their mounts, which do not pass through this directory
            Files.setPosixFilePermissions(socketDir, PosixFilePermissions.fromString("rwx------"));
            try (GatewaySocket socket = GatewaySocket.open(socketDir.resolve("dispatch.sock"), config.gateway(),
                    runtime.gatewayClient().orElse(null))) {
                SandboxSpec spec = SandboxSpec.newBuilder()
                        .setExecutionId(executionId)
                        .setIteration(n)
                        .setImage(manifest.runtime().image())
                        .setLanguage(manifest.runtime().language(), manifest.runtime().version())
                        .setPullPolicy(manifest.runtime().imagePullPolicy())
                        .setArgv(List.of(config.pythonCommand(), BootstrapScript.SANDBOX_PATH))
                        .setEnv(env)
                        // a file, not an argument: arguments are public in /proc and the kernel caps each at 128 KiB
                        .setFiles(Map.of(BootstrapScript.PROMPT_FILE, prompt))
                        .setTimeout(timeout)
                        .setMaxOutputBytes(config.maxOutputBytes())
                        .setCpuMillicores(manifest.security().cpuMillicores())
                        .setMemoryBytes(manifest.security().memoryBytes())
                        .setDiskBytes(manifest.security().diskBytes())
                        .setNetworkAllowed(manifest.security().networkAllowed())
                        .setDispatchSocket(socket.file())
                        .build();
                SandboxResult result;
                try (ConsoleOutput console = console(executionId, n, session::emit)) {
                    result = runtime.run(spec, new SandboxOutput(console, session));
                }
                return attemptOf(result, session, spec);
            }
        } catch (SandboxException e) {
            return Attempt.failed("sandbox_error", "the sandbox could not start: " + e.getMessage(), null, false);
        } catch (IOException e) {
            return Attempt.failed("sandbox_error", "the dispatch socket could not be created: " + e.getMessage(),
                    null, false);
        } finally {
            sessions.remove(session);
            security.ended().accept(session);
            deleteQuietly(socketDir);
        }
    }

    /**
     * The sandbox's console lines as this iteration's {@code iteration_output} records: gathered into records of a
     * few KiB, bounded per iteration and rate-limited per execution, the tail always kept.
     */
    private ConsoleOutput console(String executionId, int iteration, Consumer<ExecutionEvent> emit) {
        return new ConsoleOutput(config.console(), (stream, text, truncated, omitted) -> emit.accept(
                new ExecutionEvent.IterationOutput(executionId, iteration, stream, text, truncated, omitted,
                        Json.now())));
    }

    /** The console of a sandbox, and the runtime's id of it for its attestation. */
    private record SandboxOutput(ConsoleOutput console, InnerLoopSession session)
            implements ContainerRuntime.ByteListener {
        @Override
        public void bytes(String stream, byte[] chunk, int length) {
            console.bytes(stream, chunk, length);
        }

        @Override
        public void line(String stream, String line) {
            console.line(stream, line);
        }

        @Override
        public void sandboxCreated(String sandboxId) {
            session.sandboxCreated(sandboxId);
        }
    }

        /** What one sandbox run amounted to: the model's final answer, or why there is none. */
    private static Attempt attemptOf(SandboxResult result, InnerLoopSession session, SandboxSpec spec) {
        if (result.timedOut()) {
            return Attempt.failed("timeout", "iteration timed out after " + spec.timeout().toSeconds() + " s",
                    result.stderr(), true);
        }
        if (session.failure() != null) {
            return Attempt.failed("llm_error", session.failure(), result.stderr(), false);
        }
        if (result.outOfMemory()) {
            return Attempt.failed("out_of_memory", SandboxResult.outOfMemoryLine(spec.memoryBytes()), result.stderr(),
                    false);
        }
        if (result.exitCode() != 0) {
            String why = result.sigkilled()
                    ? "the agent process was killed (exit " + result.exitCode() + ")"
                    : "the agent process exited with code " + result.exitCode();
            return Attempt.failed("runtime_error", why + lastLine(result.stderr()), result.stderr(), false);
        }
        String output = session.finalContent() != null ? session.finalContent() : result.stdout().strip();
        return Attempt.ok(output, result.exitCode(), result.stderr());
    }

    /** Runs judge agents as child executions, in this worker, on their own threads. */
    private JudgeRunner judges(String parentId, EventSink events, int depth) {
        return (judgeAgent, payloadJson, timeout) -> {
            if (depth + 1 > MAX_DEPTH) {
                throw new JudgeException("judge depth limit of " + MAX_DEPTH + " reached");
            }
            AgentRecord judge = agentsByName.apply(judgeAgent)
                    .orElseThrow(() -> new JudgeException("judge agent '" + judgeAgent + "' is not deployed"));
            ExecutionRequest child = ExecutionRequest.forAgent(judge)
                    .setExecutionId(UUID.randomUUID().toString())
                    .setInput(payloadJson)
                    .setParentExecutionId(parentId)
                    .setRequestedAt(Json.now())
                    .build();
            ExecutionControl childControl = new ExecutionControl(child.executionId());
            FutureTask<Outcome> task = new FutureTask<>(() -> run(child, events, childControl, depth + 1));
            Thread thread = Thread.ofVirtual().name("judge-" + child.executionId()).unstarted(task);
            childControl.bind(thread);
            thread.start();
            try {
                Outcome outcome = task.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                if (outcome.output() == null) {
                    throw new JudgeException("judge execution " + child.executionId() + " failed: "
                            + outcome.failure());
                }
                return outcome.output();
            } catch (TimeoutException e) {
                childControl.cancel("the judge took longer than " + timeout.toSeconds() + " s");
                throw new JudgeException("judge '" + judgeAgent + "' timed out after " + timeout.toSeconds() + " s");
            } catch (ExecutionException e) {
                throw new JudgeException("judge execution failed: " + e.getCause());
            } catch (InterruptedException e) {
                childControl.cancel("the parent execution stopped");
                throw e;
            }
        };
    }

    private static byte[] randomBytes() {
        byte[] b = new byte[32];
        RANDOM.nextBytes(b);
        return b;
    }

    private static String lastLine(String stderr) {
        if (stderr == null || stderr.isBlank()) {
            return "";
        }
        String[] lines = stderr.strip().split("\n");
        return ": " + lines[lines.length - 1];
    }


    private static void deleteQuietly(Path dir) {
        if (dir == null) {
            return;
        }
        try (var files = Files.list(dir)) {
            for (Path p : files.toList()) {
                Files.deleteIfExists(p);
            }
            Files.deleteIfExists(dir);
        } catch (IOException ignored) {
            // a leftover empty directory under the work dir is harmless
        }
    }
}
