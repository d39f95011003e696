package ai.aegis.cli.client;

import ai.aegis.cli.TestSystem;
import ai.aegis.schemas.json.Json;
import ai.aegis.worker.llm.scripted.ScriptStep;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The agent and task commands against a running system (scripted models, real HTTP), through {@code aegis}'s entry point. */
class CliAgentTaskTest {

    @TempDir
    static Path dataDir;
    static TestSystem system;

    @BeforeAll
    static void start() throws Exception {
        system = new TestSystem(dataDir, Map.of(
                "hello", List.of(
                        ScriptStep.toolCall("cmd.run", TestSystem.args("{\"command\":\"echo hi-from-$((40+2))\"}")),
                        ScriptStep.reply("done: {{last_tool_stdout}}")),
                "broken", List.of(ScriptStep.error("the model is down"))), null, false);
    }

    @AfterAll
    static void stop() {
        system.close();
    }

    private static Path manifest(String name, String model, int iterations) throws IOException {
        Path file = dataDir.resolve(name + ".json");
        Files.writeString(file, TestSystem.agent(name, model, iterations));
        return file;
    }

    @Test
    void anAgentIsDeployedListedShownByNameAndRemoved() throws Exception {
        Cli.Result deployed = Cli.against(system, "agent", "deploy", manifest("cli-agent", "hello", 2).toString(),
                "--output", "json");
        assertThat(deployed.code()).as(deployed.err()).isZero();
        JsonNode d = Json.tree(deployed.out());
        assertThat(d.get("name").asText()).isEqualTo("cli-agent");
        assertThat(d.get("status").asText()).isEqualTo("deployed");
        String id = d.get("agent_id").asText();

        // the same version again is refused, unless --force
        Cli.Result again = Cli.against(system, "agent", "deploy", manifest("cli-agent", "hello", 2).toString());
        assertThat(again.code()).isEqualTo(1);
        assertThat(again.err().lines()).hasSize(1).first().asString().startsWith("aegis: 409 ");
        assertThat(Cli.against(system, "agent", "deploy", manifest("cli-agent", "hello", 2).toString(), "--force")
                .out()).startsWith("agent cli-agent 1.0.0 updated: " + id);

        JsonNode list = Json.tree(Cli.against(system, "agent", "list", "-o", "json").out());
        assertThat(list.findValuesAsText("id")).contains(id);
        Cli.Result table = Cli.against(system, "agent", "list", "--output", "table");
        assertThat(table.lines().getFirst()).startsWith("ID").contains("NAME").contains("VERSION");
        assertThat(table.lines()).anySatisfy(l -> assertThat(l).startsWith(id).contains("cli-agent"));

        JsonNode shown = Json.tree(Cli.against(system, "agent", "show", "cli-agent", "--output", "json").out());
        assertThat(shown.get("id").asText()).isEqualTo(id);
        assertThat(shown.path("manifest").path("metadata").path("name").asText()).isEqualTo("cli-agent");
        assertThat(Cli.against(system, "agent", "show", id, "-o", "yaml").out()).contains("name: \"cli-agent\"");

        Cli.Result removed = Cli.against(system, "agent", "remove", "cli-agent", "-o", "json");
        assertThat(Json.tree(removed.out()).get("success").asBoolean()).isTrue();
        Cli.Result gone = Cli.against(system, "agent", "show", id);
        assertThat(gone.code()).isEqualTo(1);
        assertThat(gone.err()).isEqualTo("aegis: 404 Agent not found\n");
    }

    @Test
    void taskRunFollowPipedPrintsOneLinePerEventAndTheFinalOutput() throws Exception {
        Cli.against(system, "agent", "deploy", manifest("cli-hello", "hello", 3).toString());
        Cli.Result run = Cli.against(system, "task", "run", "cli-hello", "--input", "the test", "--follow");

        assertThat(run.code()).as(run.err()).isZero();
        assertThat(run.out()).doesNotContain("\u001b").doesNotContain("\r");
        assertThat(run.lines()).containsSubsequence("iteration 1 started", "tool cmd.run exit 0: hi-from-42",
                "iteration 1 completed", "execution completed (1 iteration)", "done: hi-from-42");
        assertThat(run.lines().getFirst()).matches("execution [0-9a-f-]{36} started");
        assertThat(run.lines().getLast()).isEqualTo("done: hi-from-42");

        // the execution is listed, its status and its logs tell the same
        String id = run.lines().getFirst().split(" ")[1];
        JsonNode list = Json.tree(Cli.against(system, "task", "list", "--agent", "cli-hello", "--limit", "5",
                "-o", "json").out());
        assertThat(list.get(0).get("id").asText()).isEqualTo(id);
        Cli.Result status = Cli.against(system, "task", "status", id);
        assertThat(status.out()).contains("status:").contains("completed").contains("final_output:")
                .contains("done: hi-from-42");
        Cli.Result logs = Cli.against(system, "task", "logs", id);
        assertThat(logs.code()).isZero();
        assertThat(logs.lines()).containsSubsequence("iteration 1 started", "iteration 1 completed",
                "done: hi-from-42");
        Cli.Result tail = Cli.against(system, "events", "tail", "--execution", id);
        assertThat(tail.lines()).allSatisfy(l -> assertThat(Json.tree(l).isObject()).isTrue());
        assertThat(Json.tree(tail.lines().getLast()).has("execution_completed")).isTrue();
        // cancelling an ended execution: the API's 409, one line
        Cli.Result cancel = Cli.against(system, "task", "cancel", id);
        assertThat(cancel.code()).isEqualTo(1);
        assertThat(cancel.err()).startsWith("aegis: 409 ").doesNotContain("Exception");
    }

    @Test
    void aFailingExecutionExitsOneWithTheReason() throws Exception {
        Cli.against(system, "agent", "deploy", manifest("cli-broken", "broken", 1).toString());
        Cli.Result run = Cli.against(system, "task", "run", "cli-broken", "-i", "x", "--follow");

        assertThat(run.code()).isEqualTo(1);
        assertThat(run.lines()).anySatisfy(l -> assertThat(l).startsWith("iteration 1 failed: llm_error: ")
                .contains("the model is down"));
        assertThat(run.lines().getLast()).startsWith("execution failed: ").contains("the model is down");
    }

    @Test
    void errorsAreOneLineAndAnExitCode() throws Exception {
        Cli.Result unknown = Cli.against(system, "task", "run", "no-such-agent", "--input", "x");
        assertThat(unknown.code()).isEqualTo(1);
        assertThat(unknown.err()).isEqualTo("aegis: 404 Agent not found\n");
        assertThat(unknown.out()).isEmpty();

        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Cli.Result down = Cli.run("agent", "list", "--server", "http://127.0.0.1:" + port, "--token-file",
                system.tokenFile().toString());
        assertThat(down.code()).isEqualTo(1);
        assertThat(down.err()).isEqualTo("aegis: cannot reach http://127.0.0.1:" + port
                + " (connection refused); is aegis up running?\n");

        Cli.Result badToken = Cli.run("agent", "list", "--server", system.base, "--token-file",
                Files.writeString(dataDir.resolve("wrong-token"), "nope").toString());
        assertThat(badToken.code()).isEqualTo(1);
        assertThat(badToken.err()).startsWith("aegis: 401 ").hasLineCount(1);

        Cli.Result usage = Cli.run("task", "run", "x");
        assertThat(usage.code()).isEqualTo(2);
        assertThat(usage.err()).contains("--input").hasLineCount(1);
    }

    @Test
    void helpVersionAndCompletion() {
        Cli.Result help = Cli.run("task", "run", "--help");
        assertThat(help.code()).isZero();
        assertThat(help.out()).startsWith("Usage: aegis task run").contains("--follow").contains("--server=URL");
        Cli.Result version = Cli.run("--version");
        assertThat(version.code()).isZero();
        assertThat(version.out()).matches("(?s)aegis \\d+\\.\\d+\\.\\d+.*");
        Cli.Result completion = Cli.run("completion");
        assertThat(completion.code()).isZero();
        assertThat(completion.out()).startsWith("#!/usr/bin/env bash").contains("approvals").contains("--follow")
                .contains("complete -F");
        assertThat(Cli.run("fly").err()).isEqualTo("aegis: unknown command 'fly' (see aegis --help)\n");
    }

    /** In a pseudo-terminal (util-linux script): a spinner line rewritten in place, then the final output. */
    @Test
    void taskRunFollowOnATerminalRewritesAProgressLine() throws Exception {
        Cli.against(system, "agent", "deploy", manifest("cli-tty", "hello", 3).toString());
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        String command = String.join(" ", List.of(java, "-cp", "'" + classpath + "'", "ai.aegis.cli.AegisMain",
                "task", "run", "cli-tty", "--input", "tty", "--follow", "--server", system.base,
                "--token-file", "'" + system.tokenFile() + "'"));
        Path printed = dataDir.resolve("tty-output");
        ProcessBuilder pb = new ProcessBuilder("script", "-qfec", command, "/dev/null");
        pb.environment().put("TERM", "xterm");
        pb.environment().remove("AEGIS_TOKEN");
        pb.redirectErrorStream(true);
        pb.redirectOutput(printed.toFile()); // a file, not a pipe read to its end: the wait below bounds the test
        Process p = pb.start();
        p.getOutputStream().close();
        boolean ended = p.waitFor(60, TimeUnit.SECONDS);
        if (!ended) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
        String out = Files.readString(printed, StandardCharsets.UTF_8);
        assertThat(ended).as(out).isTrue();

        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).contains("\r\u001b[2K");
        assertThat(out).containsPattern("[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] ");
        assertThat(out).contains("✓ iteration 1 completed · 1 tool call");
        assertThat(out).contains("✓ execution completed (1 iteration)");
        List<String> lines = out.lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
        assertThat(lines.getLast()).isEqualTo("done: hi-from-42");
    }
}
