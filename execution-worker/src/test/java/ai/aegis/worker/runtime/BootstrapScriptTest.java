package ai.aegis.worker.runtime;

import ai.aegis.schemas.json.Json;
import ai.aegis.worker.runtime.GatewayStub.Reply;
import ai.aegis.worker.runtime.GatewayStub.Request;
import ai.aegis.worker.runtime.process.ProcessRuntime;
import ai.aegis.worker.runtime.process.ProcessRuntimeConfig;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * bootstrap.py speaking the dispatch protocol to a real HTTP gateway, run as a real process by the ProcessRuntime.
 */
class BootstrapScriptTest {

    private static final String TOKEN = "exec-token-0123456789";

    @TempDir
    Path workspaces;

    private final List<String> lines = new CopyOnWriteArrayList<>();

    @Test
    void generateDispatchFinalRoundTrip() throws Exception {
        try (GatewayStub gateway = GatewayStub.replying(
                Reply.json(dispatch("d-1", "echo $GREETING && echo err >&2", List.of(), Map.of("GREETING", "hello"))),
                Reply.json(Map.of("type", "final", "content", "done: hello", "tool_calls_executed", 1)))) {

            SandboxResult result = runBootstrap(gateway, Map.of("AEGIS_BOOTSTRAP_DEBUG", "true"), "Say hello");

            assertThat(result.exitCode()).as(result.stderr()).isZero();
            assertThat(result.stdout()).isEqualTo("done: hello");
            assertThat(result.timedOut()).isFalse();

            List<Request> requests = gateway.requests();
            assertThat(requests).hasSize(2);
            assertThat(requests).allSatisfy(r -> {
                assertThat(r.authorization()).isEqualTo("Bearer " + TOKEN);
                assertThat(r.method()).isEqualTo("POST");
                assertThat(r.path()).isEqualTo("/v1/dispatch-gateway");
            });
            JsonNode generate = requests.get(0).body();
            assertThat(generate.path("type").asText()).isEqualTo("generate");
            assertThat(generate.path("agent_id").asText()).isEqualTo("agent-7");
            assertThat(generate.path("execution_id").asText()).isEqualTo("exec-42");
            assertThat(generate.path("iteration_number").asInt()).isEqualTo(1);
            assertThat(generate.path("model_alias").asText()).isEqualTo("smart");
            assertThat(generate.path("prompt").asText()).isEqualTo("Say hello");
            assertThat(generate.path("messages").isArray()).isTrue();
            assertThat(generate.path("messages")).isEmpty();

            JsonNode dispatchResult = requests.get(1).body();
            assertThat(dispatchResult.path("type").asText()).isEqualTo("dispatch_result");
            assertThat(dispatchResult.path("execution_id").asText()).isEqualTo("exec-42");
            assertThat(dispatchResult.path("dispatch_id").asText()).isEqualTo("d-1");
            assertThat(dispatchResult.path("exit_code").asInt()).isZero();
            assertThat(dispatchResult.path("stdout").asText()).isEqualTo("hello\n");
            assertThat(dispatchResult.path("stderr").asText()).isEqualTo("err\n");
            assertThat(dispatchResult.path("truncated").asBoolean()).isFalse();
            assertThat(dispatchResult.path("duration_ms").isIntegralNumber()).isTrue();
            assertThat(dispatchResult.path("duration_ms").asLong()).isBetween(0L, 10_000L);
        }
        assertThat(lines).contains("stdout|done: hello");
        assertThat(lines).anyMatch(l -> l.startsWith("stderr|[BOOTSTRAP DEBUG]"));
        assertThat(workspaces).isEmptyDirectory();
    }

    @Test
    void argsArePassedAsAVectorWithoutAShell() throws Exception {
        try (GatewayStub gateway = GatewayStub.replying(
                Reply.json(dispatch("d-1", "printf", List.of("%s|%s|", "a b; touch injected", "$HOME"), Map.of())),
                Reply.json(dispatch("d-2", "ls", List.of("-a"), Map.of())),
                Reply.json(Map.of("type", "final", "content", "ok")))) {

            SandboxResult result = runBootstrap(gateway, Map.of(), "vector");

            assertThat(result.exitCode()).as(result.stderr()).isZero();
            JsonNode printed = gateway.requests().get(1).body();
            assertThat(printed.path("exit_code").asInt()).isZero();
            assertThat(printed.path("stdout").asText()).isEqualTo("a b; touch injected|$HOME|");
            // The second dispatch lists the workspace: the would-be injected command never ran.
            assertThat(gateway.requests().get(2).body().path("stdout").asText()).doesNotContain("injected");
        }
    }

    @Test
    void cwdUnderWorkspaceIsMappedAndUnknownActionsAreReported() throws Exception {
        Map<String, Object> mkdir = dispatch("d-1", "mkdir", List.of("-p", "sub/dir"), Map.of());
        Map<String, Object> pwd = dispatch("d-2", "pwd -P && cd \"$AEGIS_WORKSPACE\" && pwd -P", List.of(), Map.of());
        pwd.put("cwd", "/workspace/sub/dir");
        Map<String, Object> teleport = new LinkedHashMap<>(Map.of("type", "dispatch", "dispatch_id", "d-3",
                "action", "teleport"));
        try (GatewayStub gateway = GatewayStub.replying(Reply.json(mkdir), Reply.json(pwd), Reply.json(teleport),
                Reply.json(Map.of("type", "final", "content", "ok")))) {

            SandboxResult result = runBootstrap(gateway, Map.of(), "cwd");

            assertThat(result.exitCode()).as(result.stderr()).isZero();
            String[] dirs = gateway.requests().get(2).body().path("stdout").asText().split("\n");
            assertThat(dirs).hasSize(2);
            assertThat(dirs[0]).isEqualTo(dirs[1] + "/sub/dir");
            JsonNode unknown = gateway.requests().get(3).body();
            assertThat(unknown.path("dispatch_id").asText()).isEqualTo("d-3");
            assertThat(unknown.path("exit_code").asInt()).isEqualTo(-1);
            assertThat(unknown.path("stderr").asText()).isEqualTo("unknown_action:teleport");
        }
    }

    @Test
    void commandTimeoutKillsItAndReportsMinusOne() throws Exception {
        Map<String, Object> sleep = dispatch("d-1", "sleep 30", List.of(), Map.of());
        sleep.put("timeout_secs", 1);
        try (GatewayStub gateway = GatewayStub.replying(Reply.json(sleep),
                Reply.json(Map.of("type", "final", "content", "gave up")))) {

            SandboxResult result = runBootstrap(gateway, Map.of(), "sleep");

            assertThat(result.exitCode()).as(result.stderr()).isZero();
            assertThat(result.stdout()).isEqualTo("gave up");
            assertThat(result.duration()).isLessThan(Duration.ofSeconds(15));
            JsonNode timedOut = gateway.requests().get(1).body();
            assertThat(timedOut.path("exit_code").asInt()).isEqualTo(-1);
            assertThat(timedOut.path("stderr").asText()).isEqualTo("[AEGIS] Command timed out after 1s");
            assertThat(timedOut.path("duration_ms").asLong()).isBetween(900L, 10_000L);
        }
    }

    @Test
    void outputOverTheCapKeepsTheTailOfEachStream() throws Exception {
        String script = "import sys; sys.stdout.write('HEAD' + 'x' * 5000 + 'TAIL'); sys.stderr.write('e' * 10)";
        Map<String, Object> chatty = dispatch("d-1", "/usr/bin/python3", List.of("-c", script), Map.of());
        chatty.put("max_output_bytes", 1000);
        try (GatewayStub gateway = GatewayStub.replying(Reply.json(chatty),
                Reply.json(Map.of("type", "final", "content", "ok")))) {

            SandboxResult result = runBootstrap(gateway, Map.of(), "flood");

            assertThat(result.exitCode()).as(result.stderr()).isZero();
            JsonNode flooded = gateway.requests().get(1).body();
            assertThat(flooded.path("truncated").asBoolean()).isTrue();
            String stdout = flooded.path("stdout").asText();
            assertThat(stdout).hasSize(500).endsWith("xxTAIL").doesNotContain("HEAD");
            assertThat(flooded.path("stderr").asText()).isEqualTo("e".repeat(10));
        }
    }

    @Test
    void unauthorisedGatewayMakesBootstrapFailClearly() throws Exception {
        try (GatewayStub gateway = GatewayStub.replying(new Reply(401, "{\"error\":\"invalid execution token\"}"))) {

            SandboxResult result = runBootstrap(gateway, Map.of(), "anything");

            assertThat(result.exitCode()).isEqualTo(2);
            assertThat(result.stdout()).isEmpty();
            assertThat(result.stderr()).contains("dispatch gateway refused the execution token");
            assertThat(gateway.requests()).hasSize(1);
        }
    }

    @Test
    void gatewayErrorReplyAndServerErrorsExitOne() throws Exception {
        try (GatewayStub gateway = GatewayStub.replying(Reply.json(Map.of("error", "Unknown or expired execution_id")))) {
            SandboxResult result = runBootstrap(gateway, Map.of(), "anything");
            assertThat(result.exitCode()).isEqualTo(1);
            assertThat(result.stderr()).contains("Unknown or expired execution_id");
        }
        try (GatewayStub gateway = GatewayStub.replying(new Reply(503, "{\"detail\":\"overloaded\"}"))) {
            SandboxResult result = runBootstrap(gateway, Map.of(), "anything");
            assertThat(result.exitCode()).isEqualTo(1);
            assertThat(result.stderr()).contains("HTTP 503").contains("overloaded");
        }
    }

    @Test
    void missingModelAliasExitsOneWithoutCallingTheGateway() throws Exception {
        try (GatewayStub gateway = GatewayStub.replying()) {
            Map<String, String> env = baseEnv(gateway);
            env.remove("AEGIS_MODEL_ALIAS");

            SandboxResult result = runtime().run(spec(env, "x"), this::record);

            assertThat(result.exitCode()).isEqualTo(1);
            assertThat(result.stderr()).contains("AEGIS_MODEL_ALIAS");
            assertThat(gateway.requests()).isEmpty();
        }
    }

    @Test
    void iterationHistoryIsPrefixedToThePrompt() throws Exception {
        String feedback = Json.write("The answer must be a prime number"); // double-encoded, as the reference sends it
        String history = Json.write(List.of(Map.of("iteration", 1, "output", "42", "exit_code", 0,
                "validation_failed", true, "validation_reason", "regex did not match", "feedback", feedback)));
        try (GatewayStub gateway = GatewayStub.replying(Reply.json(Map.of("type", "final", "content", "43")))) {

            SandboxResult result = runBootstrap(gateway,
                    Map.of("AEGIS_ITERATION", "2", "AEGIS_ITERATION_HISTORY", history), "Give me a prime");

            assertThat(result.exitCode()).as(result.stderr()).isZero();
            JsonNode generate = gateway.requests().getFirst().body();
            assertThat(generate.path("iteration_number").asInt()).isEqualTo(2);
            String prompt = generate.path("prompt").asText();
            assertThat(prompt).startsWith("### Previous Attempts")
                    .contains("Iteration 1", "42", "The answer must be a prime number", "### Current Attempt")
                    .doesNotContain("\"The answer must be a prime number\"")
                    .endsWith("Give me a prime");
            assertThat(prompt.indexOf("Previous Attempts")).isLessThan(prompt.indexOf("Current Attempt"));
        }
    }

    @Test
    void thePromptComesFromItsInputFile() throws Exception {
        String history = Json.write(List.of(Map.of("iteration", 1, "output", "41", "exit_code", 0,
                "validation_reason", "not prime")));
        try (GatewayStub gateway = GatewayStub.replying(Reply.json(Map.of("type", "final", "content", "43")))) {
            Map<String, String> env = baseEnv(gateway);
            env.put("AEGIS_ITERATION_HISTORY", history);
            SandboxSpec spec = spec(env, "unused").toBuilder()
                    .setArgv(List.of("python3", BootstrapScript.SANDBOX_PATH))
                    .setFiles(Map.of(BootstrapScript.PROMPT_FILE, "Give me a prime\nover two lines"))
                    .build();

            SandboxResult result = runtime().run(spec, this::record);

            assertThat(result.exitCode()).as(result.stderr()).isZero();
            String prompt = gateway.requests().getFirst().body().path("prompt").asText();
            assertThat(prompt).startsWith("### Previous Attempts").contains("41", "Validation failed: not prime")
                    .endsWith("### Current Attempt\n\nGive me a prime\nover two lines");
        }
    }

    private SandboxResult runBootstrap(GatewayStub gateway, Map<String, String> extraEnv, String prompt)
            throws SandboxException {
        Map<String, String> env = baseEnv(gateway);
        env.putAll(extraEnv);
        return runtime().run(spec(env, prompt), this::record);
    }

    private void record(String stream, String line) {
        lines.add(stream + "|" + line);
    }

    private ProcessRuntime runtime() {
        return new ProcessRuntime(new ProcessRuntimeConfig(null, workspaces));
    }

    static SandboxSpec spec(Map<String, String> env, String prompt) {
        return SandboxSpec.newBuilder()
                .setExecutionId("exec-42")
                .setArgv(List.of("python3", BootstrapScript.SANDBOX_PATH, prompt))
                .setEnv(env)
                .setTimeout(Duration.ofSeconds(60))
                .setMaxOutputBytes(1 << 20)
                .setCpuMillicores(1000)
                .setMemoryBytes(256L << 20)
                .build();
    }

    private static Map<String, String> baseEnv(GatewayStub gateway) {
        Map<String, String> env = new HashMap<>();
        env.put("AEGIS_EXECUTION_ID", "exec-42");
        env.put("AEGIS_AGENT_ID", "agent-7");
        env.put("AEGIS_MODEL_ALIAS", "smart");
        env.put("AEGIS_ORCHESTRATOR_URL", gateway.baseUrl());
        env.put("AEGIS_EXECUTION_TOKEN", TOKEN);
        return env;
    }

    private static Map<String, Object> dispatch(String id, String command, List<String> args,
                                                Map<String, String> envAdditions) {
        Map<String, Object> dispatch = new LinkedHashMap<>();
        dispatch.put("type", "dispatch");
        dispatch.put("dispatch_id", id);
        dispatch.put("action", "exec");
        dispatch.put("command", command);
        dispatch.put("args", args);
        dispatch.put("cwd", "/workspace");
        dispatch.put("env_additions", envAdditions);
        dispatch.put("timeout_secs", 20);
        dispatch.put("max_output_bytes", 524288);
        return dispatch;
    }
}

