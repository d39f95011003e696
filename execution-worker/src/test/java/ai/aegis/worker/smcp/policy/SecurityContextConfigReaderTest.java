package ai.aegis.worker.smcp.policy;

import io.helidon.common.media.type.MediaTypes;
import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SecurityContextConfigReaderTest {

    private static SecurityContexts read(String yaml) {
        return SecurityContextConfigReader.read(smcp(yaml));
    }

    private static Config smcp(String yaml) {
        return Config.just(ConfigSources.create(yaml, MediaTypes.APPLICATION_X_YAML)).get("aegis.smcp");
    }

    @Test
    void readsAFullExampleWithDashedKeys() {
        SecurityContexts contexts = read("""
                aegis:
                  smcp:
                    security-contexts:
                      - name: research
                        description: Reads the web and writes notes
                        capabilities:
                          - tool-pattern: web.*
                            domain-allowlist: [example.com, wikipedia.org]
                            rate-limit: {calls: 10, per-seconds: 60}
                            max-response-size: 1048576
                          - tool-pattern: fs.*
                            path-allowlist: [/workspace/notes]
                          - tool-pattern: cmd.run
                            command-allowlist: [git, ls]
                            subcommand-allowlist: [status, log]
                        deny-list: [fs.delete, web.post]
                        metadata: {version: 3}
                      - name: empty
                """);
        SecurityContext research = contexts.get("research").orElseThrow();
        assertThat(research.description()).isEqualTo("Reads the web and writes notes");
        assertThat(research.denyList()).containsExactlyInAnyOrder("fs.delete", "web.post");
        assertThat(research.capabilities()).containsExactly(
                new Capability("web.*", null, null, null, List.of("example.com", "wikipedia.org"),
                        new RateLimit(10, Duration.ofSeconds(60)), 1_048_576L),
                new Capability("fs.*", List.of("/workspace/notes"), null, null, null, null, null),
                new Capability("cmd.run", null, List.of("git", "ls"), List.of("status", "log"), null, null, null));
        SecurityContext empty = contexts.get("empty").orElseThrow();
        assertThat(empty.capabilities()).isEmpty();
        assertThat(empty.denyList()).isEmpty();
        assertThat(empty.description()).isEmpty();
        // the defaults stay
        assertThat(contexts.get("default")).isEqualTo(SecurityContexts.defaults().get("default"));
        assertThat(contexts.get("aegis-system-operator")).isPresent();
    }

    @Test
    void readsTheReferencesSnakeCaseSpelling() {
        SecurityContexts contexts = read("""
                aegis:
                  smcp:
                    security_contexts:
                      - name: default
                        description: stricter
                        capabilities:
                          - tool_pattern: fs.read
                            path_allowlist: [/workspace/in]
                            command_allowlist: [ls]
                            subcommand_allowlist: [x]
                            domain_allowlist: [example.com]
                            rate_limit: {calls: 1, per_seconds: 2}
                            max_response_size: 5
                        deny_list: [fs.write]
                """);
        SecurityContext context = contexts.get("default").orElseThrow();
        assertThat(context.description()).isEqualTo("stricter");
        assertThat(context.denyList()).isEqualTo(Set.of("fs.write"));
        assertThat(context.capabilities()).containsExactly(new Capability("fs.read", List.of("/workspace/in"),
                List.of("ls"), List.of("x"), List.of("example.com"), new RateLimit(1, Duration.ofSeconds(2)), 5L));
    }

    @Test
    void aMissingListIsNoConstraintAndAnEmptyOneAllowsNothing() {
        SecurityContext context = read("""
                aegis.smcp.security-contexts:
                  - name: c
                    capabilities:
                      - tool-pattern: fs.*
                        path-allowlist: []
                """).get("c").orElseThrow();
        Capability capability = context.capabilities().getFirst();
        assertThat(capability.pathAllowlist()).isEmpty();
        assertThat(capability.commandAllowlist()).isNull();
        assertThat(capability.domainAllowlist()).isNull();
        assertThat(capability.rateLimit()).isNull();
        assertThat(capability.maxResponseSize()).isNull();
    }

    @Test
    void withoutSecurityContextsTheDefaultsAreRead() {
        assertThat(read("aegis.smcp.issuer: x").all()).extracting(SecurityContext::name)
                .containsExactly("aegis-system-operator", "default");
        assertThat(SecurityContextConfigReader.read(Config.empty().get("aegis.smcp")).all()).hasSize(2);
    }

    @Test
    void malformedEntriesNameTheirPath() {
        assertError("""
                - name: a
                - name: b
                  capabilities:
                    - tool-pattern: x
                      rate-limit: {calls: 0, per-seconds: 5}
                """, "aegis.smcp.security-contexts[1].capabilities[0].rate-limit.calls must be a positive integer");
        assertError("""
                - name: a
                  capabilities:
                    - tool-pattern: x
                      rate-limit: {calls: many, per-seconds: 5}
                """, "aegis.smcp.security-contexts[0].capabilities[0].rate-limit.calls must be a positive integer");
        assertError("""
                - name: a
                  capabilities:
                    - tool-pattern: x
                      rate-limit: {calls: 3}
                """, "aegis.smcp.security-contexts[0].capabilities[0].rate-limit.per-seconds must be a positive integer");
        assertError("""
                - name: a
                  capabilities:
                    - tool-pattern: x
                      rate-limit: {calls: 3, per-seconds: 1, burst: 2}
                """, "aegis.smcp.security-contexts[0].capabilities[0].rate-limit.burst is not a known key");
        assertError("""
                - description: no name
                """, "aegis.smcp.security-contexts[0].name is required");
        assertError("""
                - name: a
                  capabilities:
                    - path-allowlist: [/workspace]
                """, "aegis.smcp.security-contexts[0].capabilities[0].tool-pattern is required");
        assertError("""
                - name: a
                  capabilities:
                    - tool-pattern: "fs*"
                """, "aegis.smcp.security-contexts[0].capabilities[0].tool-pattern: tool pattern 'fs*' must be");
        assertError("""
                - name: a
                  capabilities:
                    - tool-pattern: fs.*
                      path_allow_list: [/workspace]
                """, "aegis.smcp.security-contexts[0].capabilities[0].path_allow_list is not a known key");
        assertError("""
                - name: a
                  capabilities:
                    - tool-pattern: fs.*
                      path-allowlist: /workspace
                """, "aegis.smcp.security-contexts[0].capabilities[0].path-allowlist must be a list");
        assertError("""
                - name: a
                  capabilities:
                    - tool-pattern: fs.*
                      path-allowlist: [/workspace, /etc]
                """, "aegis.smcp.security-contexts[0].capabilities[0].path-allowlist[1]: path '/etc' is outside");
        assertError("""
                - name: a
                  capabilities:
                    - tool-pattern: cmd.run
                      command-allowlist: [ls, {a: b}]
                """, "aegis.smcp.security-contexts[0].capabilities[0].command-allowlist[1] must be a non-empty string");
        assertError("""
                - name: a
                  capabilities:
                    - tool-pattern: x
                      max-response-size: -1
                """, "aegis.smcp.security-contexts[0].capabilities[0].max-response-size must be a positive number");
        assertError("""
                - name: a
                  capabilities:
                    - tool-pattern: x
                      max-response-size: big
                """, "aegis.smcp.security-contexts[0].capabilities[0].max-response-size must be a positive number");
        assertError("""
                - name: a
                - name: a
                """, "aegis.smcp.security-contexts[1].name 'a' is used twice");
        assertError("""
                - name: a
                  capabilities: {tool-pattern: x}
                """, "aegis.smcp.security-contexts[0].capabilities must be a list");
        assertError("""
                - name: a
                  deny-lists: [x]
                """, "aegis.smcp.security-contexts[0].deny-lists is not a known key");
        assertError("""
                - just a string
                """, "aegis.smcp.security-contexts[0] must be an object");
        assertThatThrownBy(() -> read("aegis.smcp.security-contexts: {name: a}"))
                .hasMessage("aegis.smcp.security-contexts must be a list");
    }

    private static void assertError(String contexts, String message) {
        String yaml = "aegis:\n  smcp:\n    security-contexts:\n" + contexts.indent(6);
        assertThatThrownBy(() -> read(yaml)).as(contexts).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(message);
    }
}
