package ai.aegis.worker.smcp.policy;

import ai.aegis.schemas.json.Json;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class PolicyEngineTest {

    static SecurityContext ctx(Capability... capabilities) {
        return new SecurityContext("test", "", List.of(capabilities), Set.of());
    }

    static Capability paths(String pattern, String... allowed) {
        return new Capability(pattern, List.of(allowed), null, null, null, null, null);
    }

    static Capability domains(String pattern, String... allowed) {
        return new Capability(pattern, null, null, null, List.of(allowed), null, null);
    }

    static JsonNode args(String json) {
        return Json.tree(json);
    }

    static JsonNode path(String path) {
        return Json.object().put("path", path);
    }

    static PolicyViolation denied(PolicyDecision decision) {
        assertThat(decision).isInstanceOf(PolicyDecision.Denied.class);
        return ((PolicyDecision.Denied) decision).violation();
    }

    static Capability allowedBy(PolicyDecision decision) {
        assertThat(decision).isInstanceOf(PolicyDecision.Allowed.class);
        return ((PolicyDecision.Allowed) decision).capability();
    }

    // --- patterns, deny list, order

    @Test
    void patternsMatchEverythingAnExactNameOrAPrefix() {
        assertThat(Capability.of("*").matches("anything.at.all")).isTrue();
        assertThat(Capability.of("fs.read").matches("fs.read")).isTrue();
        assertThat(Capability.of("fs.read").matches("fs.readx")).isFalse();
        assertThat(Capability.of("fs.read").matches("fs.write")).isFalse();
        assertThat(Capability.of("fs.*").matches("fs.read")).isTrue();
        assertThat(Capability.of("fs.*").matches("fs.a.b")).isTrue();
        assertThat(Capability.of("fs.*").matches("fs.")).isFalse();
        assertThat(Capability.of("fs.*").matches("fs")).isFalse();
        assertThat(Capability.of("fs.*").matches("fsx.read")).isFalse();
        assertThat(Capability.of("notes.*").matches("fs.read")).isFalse();
    }

    @Test
    void aToolNoPatternMatchesIsNotAllowedAndTheMessageListsThePatterns() {
        PolicyViolation v = denied(PolicyEngine.evaluate(ctx(Capability.of("fs.*"), Capability.of("cmd.run")),
                "notes.add", args("{}")));
        assertThat(v.type()).isEqualTo(ViolationType.TOOL_NOT_ALLOWED);
        assertThat(v.tool()).isEqualTo("notes.add");
        assertThat(v.message()).contains("'notes.add'", "'test'", "[fs.*, cmd.run]");
        assertThat(v.retryAfterSeconds()).isZero();
        assertThat(v.limit()).isZero();
    }

    @Test
    void aContextWithoutCapabilitiesAllowsNothing() {
        assertThat(denied(PolicyEngine.evaluate(ctx(), "fs.read", path("a"))).type())
                .isEqualTo(ViolationType.TOOL_NOT_ALLOWED);
    }

    @Test
    void theDenyListWinsOverStar() {
        SecurityContext context = new SecurityContext("c", "", List.of(Capability.of("*")), Set.of("notes.delete"));
        PolicyViolation v = denied(PolicyEngine.evaluate(context, "notes.delete", args("{}")));
        assertThat(v.type()).isEqualTo(ViolationType.TOOL_EXPLICITLY_DENIED);
        assertThat(v.message()).contains("deny list", "'notes.delete'", "'c'");
        assertThat(allowedBy(PolicyEngine.evaluate(context, "notes.add", args("{}")))).isEqualTo(Capability.of("*"));
        assertThat(context.mayCall("notes.delete")).isFalse();
        assertThat(context.mayCall("notes.add")).isTrue();
    }

    @Test
    void theDenyListIsExact() {
        SecurityContext context = new SecurityContext("c", "", List.of(Capability.of("*")), Set.of("notes.*"));
        assertThat(PolicyEngine.evaluate(context, "notes.add", args("{}"))).isInstanceOf(PolicyDecision.Allowed.class);
    }

    @Test
    void theFirstCapabilityThatAllowsWins() {
        Capability src = paths("fs.*", "/workspace/src");
        Capability all = paths("fs.read", "/workspace");
        Capability star = Capability.of("*");
        SecurityContext context = ctx(src, all, star);
        assertThat(allowedBy(PolicyEngine.evaluate(context, "fs.read", path("src/a")))).isSameAs(src);
        assertThat(allowedBy(PolicyEngine.evaluate(context, "fs.read", path("b")))).isSameAs(all);
        assertThat(allowedBy(PolicyEngine.evaluate(context, "notes.add", args("{}")))).isSameAs(star);
        assertThat(context.capabilities().indexOf(all)).isEqualTo(1);
    }

    @Test
    void withoutAnAllowingCapabilityTheMostSpecificPatternsRefusalIsReported() {
        Capability star = new Capability("*", List.of("/workspace/a"), null, null, null, null, null);
        Capability prefix = paths("fs.*", "/workspace/b");
        Capability exact = paths("fs.read", "/workspace/c");
        PolicyViolation v = denied(PolicyEngine.evaluate(ctx(star, prefix, exact), "fs.read", path("/workspace/x")));
        assertThat(v.type()).isEqualTo(ViolationType.PATH_OUTSIDE_BOUNDARY);
        assertThat(v.message()).contains("[/workspace/c]");
        v = denied(PolicyEngine.evaluate(ctx(star, prefix), "fs.read", path("/workspace/x")));
        assertThat(v.message()).contains("[/workspace/b]");
        // of equally specific patterns, the first
        v = denied(PolicyEngine.evaluate(ctx(paths("fs.*", "/workspace/1"), paths("fs.*", "/workspace/2")), "fs.list",
                path("/workspace/x")));
        assertThat(v.message()).contains("[/workspace/1]");
        // a longer prefix is more specific
        v = denied(PolicyEngine.evaluate(ctx(domains("a.*", "one.org"), domains("a.b.*", "two.org")), "a.b.c",
                Json.object().put("url", "https://three.org")));
        assertThat(v.message()).contains("[two.org]");
    }

    @Test
    void aMatchingCapabilitysRefusalBeatsToolNotAllowed() {
        PolicyViolation v = denied(PolicyEngine.evaluate(ctx(Capability.of("cmd.run"), paths("fs.*", "/workspace/src")),
                "fs.read", path("/workspace/x")));
        assertThat(v.type()).isEqualTo(ViolationType.PATH_OUTSIDE_BOUNDARY);
    }

    @Test
    void argumentsThatAreNoObjectCountAsNone() {
        assertThat(PolicyEngine.evaluate(ctx(Capability.of("notes.*")), "notes.add", null))
                .isInstanceOf(PolicyDecision.Allowed.class);
        assertThat(denied(PolicyEngine.evaluate(ctx(Capability.of("fs.*")), "fs.read", args("[\"/workspace/a\"]")))
                .type()).isEqualTo(ViolationType.MISSING_REQUIRED_ARGUMENT);
    }

    // --- fs paths

    @Test
    void aPathAllowlistIsComponentWise() {
        SecurityContext context = ctx(paths("fs.*", "/workspace/src"));
        assertThat(PolicyEngine.evaluate(context, "fs.read", path("/workspace/src"))).isInstanceOf(PolicyDecision.Allowed.class);
        assertThat(PolicyEngine.evaluate(context, "fs.read", path("/workspace/src/a"))).isInstanceOf(PolicyDecision.Allowed.class);
        assertThat(PolicyEngine.evaluate(context, "fs.read", path("/workspace/src/a/b/c.txt"))).isInstanceOf(PolicyDecision.Allowed.class);
        PolicyViolation v = denied(PolicyEngine.evaluate(context, "fs.read", path("/workspace/srcx")));
        assertThat(v.type()).isEqualTo(ViolationType.PATH_OUTSIDE_BOUNDARY);
        assertThat(v.message()).isEqualTo("path '/workspace/srcx' is outside the allowed paths [/workspace/src]");
        assertThat(denied(PolicyEngine.evaluate(context, "fs.read", path("/workspace"))).type())
                .isEqualTo(ViolationType.PATH_OUTSIDE_BOUNDARY);
    }

    @Test
    void allowlistEntriesWithATrailingSlashOrRelativeAreWorkspacePaths() {
        assertThat(PolicyEngine.evaluate(ctx(paths("fs.*", "/workspace/src/")), "fs.read", path("/workspace/src/a")))
                .isInstanceOf(PolicyDecision.Allowed.class);
        assertThat(PolicyEngine.evaluate(ctx(paths("fs.*", "src")), "fs.read", path("/workspace/src/a")))
                .isInstanceOf(PolicyDecision.Allowed.class);
        assertThat(PolicyEngine.evaluate(ctx(paths("fs.*", "/etc")), "fs.read", path("/workspace/a")))
                .isInstanceOf(PolicyDecision.Denied.class);
    }

    @Test
    void relativePathsResolveAgainstTheWorkspace() {
        SecurityContext context = ctx(paths("fs.*", "/workspace/src"));
        assertThat(PolicyEngine.evaluate(context, "fs.write", path("src/a.txt"))).isInstanceOf(PolicyDecision.Allowed.class);
        assertThat(PolicyEngine.evaluate(context, "fs.write", path("./src//a.txt"))).isInstanceOf(PolicyDecision.Allowed.class);
        assertThat(denied(PolicyEngine.evaluate(context, "fs.write", path("docs/a.txt"))).type())
                .isEqualTo(ViolationType.PATH_OUTSIDE_BOUNDARY);
    }

    @Test
    void repeatedSlashesAndDotsAreNormalisedBeforeTheCheck() {
        SecurityContext context = ctx(paths("fs.*", "/workspace/a/b"));
        assertThat(PolicyEngine.evaluate(context, "fs.read", path("//workspace//a/./b"))).isInstanceOf(PolicyDecision.Allowed.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"/workspace/../etc", "../etc/passwd", "/workspace/src/../src/a", "src/..", "a/../../.."})
    void aParentReferenceAnywhereIsATraversalAttempt(String p) {
        for (Capability capability : List.of(paths("fs.*", "/workspace"), Capability.of("fs.*"), Capability.of("*"))) {
            PolicyViolation v = denied(PolicyEngine.evaluate(ctx(capability), "fs.read", path(p)));
            assertThat(v.type()).as(capability.toString()).isEqualTo(ViolationType.PATH_TRAVERSAL_ATTEMPT);
            assertThat(v.message()).contains("'..'");
        }
    }

    @Test
    void aNulIsATraversalAttempt() {
        PolicyViolation v = denied(PolicyEngine.evaluate(ctx(paths("fs.*", "/workspace")), "fs.read",
                path("/workspace/a.txt\0.png")));
        assertThat(v.type()).isEqualTo(ViolationType.PATH_TRAVERSAL_ATTEMPT);
        assertThat(v.message()).contains("NUL").doesNotContain("\0");
    }

    @Test
    void aPathOutsideTheWorkspaceIsOutsideTheBoundaryEvenWithoutAnAllowlist() {
        PolicyViolation v = denied(PolicyEngine.evaluate(ctx(paths("fs.*", "/workspace")), "fs.read", path("/etc/passwd")));
        assertThat(v.type()).isEqualTo(ViolationType.PATH_OUTSIDE_BOUNDARY);
        assertThat(v.message()).isEqualTo("path '/etc/passwd' is outside the allowed paths [/workspace]");
        v = denied(PolicyEngine.evaluate(ctx(Capability.of("*")), "fs.read", path("/etc/passwd")));
        assertThat(v.type()).isEqualTo(ViolationType.PATH_OUTSIDE_BOUNDARY);
        assertThat(v.message()).contains("outside the workspace /workspace");
    }

    @ParameterizedTest
    @ValueSource(strings = {"fs.read", "fs.write", "fs.list", "fs.grep", "fs.glob", "fs.delete"})
    void everyFsToolNeedsAPath(String tool) {
        for (String arguments : List.of("{}", "{\"path\":\"\"}", "{\"path\":\"  \"}", "{\"path\":7}",
                "{\"path\":null}", "{\"pattern\":\"x\"}")) {
            PolicyViolation v = denied(PolicyEngine.evaluate(ctx(Capability.of("*")), tool, args(arguments)));
            assertThat(v.type()).as(arguments).isEqualTo(ViolationType.MISSING_REQUIRED_ARGUMENT);
            assertThat(v.message()).contains("'path'");
        }
        assertThat(PolicyEngine.evaluate(ctx(Capability.of("*")), tool, path("x"))).isInstanceOf(PolicyDecision.Allowed.class);
    }

    @Test
    void anEmptyPathAllowlistAllowsNoPath() {
        PolicyViolation v = denied(PolicyEngine.evaluate(ctx(paths("fs.*")), "fs.read", path("/workspace/a")));
        assertThat(v.type()).isEqualTo(ViolationType.PATH_OUTSIDE_BOUNDARY);
        assertThat(v.message()).contains("[]");
    }

    @Test
    void pathsOfOtherToolsAreNotChecked() {
        assertThat(PolicyEngine.evaluate(ctx(paths("*", "/workspace/src")), "notes.add", path("/etc/passwd")))
                .isInstanceOf(PolicyDecision.Allowed.class);
    }

    // --- domains

    @Test
    void aDomainAllowsItselfAndItsSubdomainsOnly() {
        SecurityContext context = ctx(domains("web.*", "example.com"));
        for (String url : List.of("https://example.com", "https://example.com/a?b=c", "http://api.example.com:8080/x",
                "https://a.b.example.com", "https://EXAMPLE.com", "https://example.com./")) {
            assertThat(PolicyEngine.evaluate(context, "web.fetch", Json.object().put("url", url)))
                    .as(url).isInstanceOf(PolicyDecision.Allowed.class);
        }
        for (String url : List.of("https://badexample.com", "https://example.com.evil.org", "https://example.org",
                "https://com", "https://example.com@evil.org/", "https://evil.org/?u=example.com")) {
            PolicyViolation v = denied(PolicyEngine.evaluate(context, "web.fetch", Json.object().put("url", url)));
            assertThat(v.type()).as(url).isEqualTo(ViolationType.DOMAIN_NOT_ALLOWED);
            assertThat(v.message()).as(url).contains("is not in the allowed domains [example.com]");
        }
    }

    @Test
    void anIpLiteralMatchesOnlyItself() {
        SecurityContext context = ctx(domains("web.*", "example.com", "216.34", "10.0.0.1"));
        assertThat(denied(PolicyEngine.evaluate(context, "web.fetch", Json.object().put("url", "http://93.184.216.34/")))
                .message()).contains("domain '93.184.216.34'");
        assertThat(PolicyEngine.evaluate(context, "web.fetch", Json.object().put("url", "http://10.0.0.1/")))
                .isInstanceOf(PolicyDecision.Allowed.class);
        assertThat(PolicyEngine.evaluate(context, "web.fetch", Json.object().put("url", "http://[::1]/")))
                .isInstanceOf(PolicyDecision.Denied.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"not a url", "example.com/path", "http://", "http://exa mple.com", "file:///etc/passwd",
            "ftp://example.com/x", "http://evil.org\\@example.com", "javascript:alert(1)", ""})
    void anUnparsableOrNonHttpUrlIsRefused(String url) {
        PolicyViolation v = denied(PolicyEngine.evaluate(ctx(domains("web.*", "example.com")), "web.fetch",
                Json.object().put("url", url)));
        assertThat(v.type()).isEqualTo(ViolationType.DOMAIN_NOT_ALLOWED);
    }

    @Test
    void anyToolWithAUrlIsCheckedAndWebToolsWithoutOneAreNot() {
        SecurityContext context = ctx(domains("*", "example.com"));
        assertThat(denied(PolicyEngine.evaluate(context, "notes.import", Json.object().put("url", "https://evil.org")))
                .type()).isEqualTo(ViolationType.DOMAIN_NOT_ALLOWED);
        assertThat(PolicyEngine.evaluate(context, "notes.import", Json.object().put("url", "https://docs.example.com")))
                .isInstanceOf(PolicyDecision.Allowed.class);
        assertThat(PolicyEngine.evaluate(context, "web.search", Json.object().put("query", "java")))
                .isInstanceOf(PolicyDecision.Allowed.class);
        assertThat(denied(PolicyEngine.evaluate(context, "web.fetch", args("{\"url\":42}"))).message())
                .contains("must be a string");
        // without a domain allowlist, urls are not looked at
        assertThat(PolicyEngine.evaluate(ctx(Capability.of("web.*")), "web.fetch", Json.object().put("url", "junk")))
                .isInstanceOf(PolicyDecision.Allowed.class);
    }

    @Test
    void anEmptyDomainAllowlistAllowsNoUrl() {
        assertThat(denied(PolicyEngine.evaluate(ctx(domains("web.*")), "web.fetch",
                Json.object().put("url", "https://example.com"))).type()).isEqualTo(ViolationType.DOMAIN_NOT_ALLOWED);
    }

    // --- response size

    @Test
    void aResponseAboveTheMaximumIsTooLarge() {
        Capability capped = new Capability("fs.*", null, null, null, null, null, 1024L);
        assertThat(PolicyEngine.checkResponseSize(capped, "fs.read", 1024)).isEmpty();
        assertThat(PolicyEngine.checkResponseSize(capped, "fs.read", 0)).isEmpty();
        PolicyViolation v = PolicyEngine.checkResponseSize(capped, "fs.read", 1025).orElseThrow();
        assertThat(v.type()).isEqualTo(ViolationType.RESPONSE_TOO_LARGE);
        assertThat(v.tool()).isEqualTo("fs.read");
        assertThat(v.message()).contains("1025", "1024");
        assertThat(PolicyEngine.checkResponseSize(Capability.of("fs.*"), "fs.read", Long.MAX_VALUE)).isEmpty();
    }
}
