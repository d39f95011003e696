package ai.aegis.worker.execution;

import ai.aegis.schemas.agent.AgentManifest;
import ai.aegis.schemas.agent.AgentManifests;
import ai.aegis.schemas.execution.ExecutionEvent;
import ai.aegis.schemas.execution.ExecutionRequest;
import ai.aegis.schemas.json.Json;
import ai.aegis.worker.gateway.InnerLoopRegistry;
import ai.aegis.worker.gateway.InnerLoopSession;
import ai.aegis.worker.runtime.BootstrapScript;
import ai.aegis.worker.runtime.ContainerRuntime;
import ai.aegis.worker.runtime.SandboxException;
import ai.aegis.worker.runtime.SandboxResult;
import ai.aegis.worker.runtime.SandboxSpec;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * Runs one execution to its end: {@code execution_started}, then iterations (a fresh sandbox each, with the history
 * of earlier attempts) until one succeeds or {@code max_iterations} is spent, within the overall timeout; always
 * ends with exactly one terminal event.
 */
public final class ExecutionRunner {

    private static final System.Logger LOG = System.getLogger(ExecutionRunner.class.getName());
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int MAX_HISTORY_OUTPUT = 4000;

    private final ContainerRuntime runtime;
    private final InnerLoopRegistry sessions;
    private final RunnerConfig config;

    /**
     * @param orchestratorUrl base URL of the dispatch gateway as the sandbox reaches it
     * @param maxOutputBytes  cap for captured output of the sandbox and of each command
     */
    public record RunnerConfig(String orchestratorUrl, long maxOutputBytes, String pythonCommand) {
    }

    public ExecutionRunner(ContainerRuntime runtime, InnerLoopRegistry sessions, RunnerConfig config) {
        this.runtime = runtime;
        this.sessions = sessions;
        this.config = config;
    }

    public void run(ExecutionRequest request, EventSink events) throws Exception {
        String executionId = request.executionId();
        AgentManifest manifest;
        try {
            manifest = request.agent().parsedManifest();
        } catch (RuntimeException e) {
            events.emit(new ExecutionEvent.ExecutionStarted(executionId, request.agentId(), Json.now()));
            events.emitDurably(new ExecutionEvent.ExecutionFailed(executionId,
                    "the agent's manifest cannot be read: " + e.getMessage(), 0, Json.now()));
            return;
        }
        if (!runtime.isolates()) {
            LOG.log(System.Logger.Level.WARNING, "execution " + executionId + " runs on the '" + runtime.name()
                    + "' runtime, which does NOT isolate the agent from this host");
        }
        long startedNanos = System.nanoTime();
        Duration overall = manifest.security().timeout();
        events.emit(new ExecutionEvent.ExecutionStarted(executionId, request.agentId(), Json.now()));
        String prompt = AgentManifests.renderPrompt(manifest, request.input(), request.contextOverrides());
        ArrayNode history = Json.MAPPER.createArrayNode();
        String lastError = "no iteration ran";
        int max = manifest.execution().maxIterations();
        for (int n = 1; n <= max; n++) {
            Duration left = overall.minusNanos(System.nanoTime() - startedNanos);
            if (left.isNegative() || left.isZero()) {
                events.emitDurably(new ExecutionEvent.ExecutionTimedOut(executionId, overall.toSeconds(), n - 1,
                        Json.now()));
                return;
            }
            Duration iterationTimeout = manifest.execution().iterationTimeout().compareTo(left) < 0
                    ? manifest.execution().iterationTimeout() : left;
            boolean overallBound = iterationTimeout.equals(left);
            events.emit(new ExecutionEvent.IterationStarted(executionId, n, prompt, Json.now()));
            Attempt attempt = iterate(request, manifest, n, prompt, history, iterationTimeout, events);
            if (attempt.output != null) {
                events.emit(new ExecutionEvent.IterationCompleted(executionId, n, attempt.output, Json.now()));
                events.emitDurably(new ExecutionEvent.ExecutionCompleted(executionId, attempt.output, n, Json.now()));
                return;
            }
            events.emit(new ExecutionEvent.IterationFailed(executionId, n,
                    new ExecutionEvent.IterationError(attempt.errorType, attempt.error, attempt.details), Json.now()));
            if (attempt.timedOut && overallBound) {
                events.emitDurably(new ExecutionEvent.ExecutionTimedOut(executionId, overall.toSeconds(), n,
                        Json.now()));
                return;
            }
            lastError = attempt.error;
            ObjectNode h = history.addObject();
            h.put("iteration", n);
            h.put("error", attempt.error);
            if (attempt.details != null) {
                h.put("output", tail(attempt.details));
            }
        }
        events.emitDurably(new ExecutionEvent.ExecutionFailed(executionId,
                "all " + max + " iteration(s) failed; last error: " + lastError, max, Json.now()));
    }

    /** The outcome of one iteration: an output, or an error with its type. */
    private record Attempt(String output, String errorType, String error, String details, boolean timedOut) {
        static Attempt ok(String output) {
            return new Attempt(output, null, null, null, false);
        }

        static Attempt failed(String type, String error, String details, boolean timedOut) {
            return new Attempt(null, type, error, details, timedOut);
        }
    }

    private Attempt iterate(ExecutionRequest request, AgentManifest manifest, int n, String prompt, ArrayNode history,
                            Duration timeout, EventSink events) {
        String executionId = request.executionId();
        String token = HexFormat.of().formatHex(randomBytes());
        InnerLoopSession session = new InnerLoopSession(executionId, request.agentId(), n, token, manifest.tools(),
                manifest.runtime().model(), events);
        Map<String, String> env = new HashMap<>(manifest.env());
        env.put("AEGIS_EXECUTION_ID", executionId);
        env.put("AEGIS_AGENT_ID", request.agentId());
        env.put("AEGIS_ITERATION", Integer.toString(n));
        env.put("AEGIS_MODEL_ALIAS", manifest.runtime().model());
        env.put("AEGIS_LLM_TIMEOUT_SECONDS", Long.toString(manifest.execution().llmTimeout().toSeconds()));
        env.put("AEGIS_ORCHESTRATOR_URL", config.orchestratorUrl());
        env.put("AEGIS_EXECUTION_TOKEN", token);
        if (!history.isEmpty()) {
            env.put("AEGIS_ITERATION_HISTORY", history.toString());
        }
        SandboxSpec spec = new SandboxSpec(executionId, n, manifest.runtime().image(),
                List.of(config.pythonCommand(), BootstrapScript.SANDBOX_PATH, prompt), env, timeout,
                config.maxOutputBytes(), manifest.security().cpuMillicores(), manifest.security().memoryBytes(),
                manifest.security().networkAllowed());
        sessions.register(session);
        try {
            SandboxResult result = runtime.run(spec, (stream, line) -> events.emit(
                    new ExecutionEvent.IterationOutput(executionId, n, stream, line, Json.now())));
            if (result.timedOut()) {
                return Attempt.failed("timeout", "iteration timed out after " + timeout.toSeconds() + " s",
                        result.stderr(), true);
            }
            if (session.failure() != null) {
                return Attempt.failed("llm_error", session.failure(), result.stderr(), false);
            }
            if (result.exitCode() != 0) {
                return Attempt.failed("runtime_error", "the agent process exited with code " + result.exitCode()
                        + lastLine(result.stderr()), result.stderr(), false);
            }
            String output = session.finalContent() != null ? session.finalContent() : result.stdout().strip();
            return Attempt.ok(output);
        } catch (SandboxException e) {
            return Attempt.failed("sandbox_error", "the sandbox could not start: " + e.getMessage(), null, false);
        } finally {
            sessions.remove(session);
        }
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

    private static String tail(String s) {
        return s.length() <= MAX_HISTORY_OUTPUT ? s : s.substring(s.length() - MAX_HISTORY_OUTPUT);
    }
}
