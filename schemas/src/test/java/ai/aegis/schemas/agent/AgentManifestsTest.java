package ai.aegis.schemas.agent;

import ai.aegis.schemas.SchemaResources;
import ai.aegis.schemas.SchemaValidation;
import ai.aegis.schemas.json.Json;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Manifest parsing and validation: YAML and JSON agree, defaults are applied, and each invalid manifest is refused
 * with a problem naming the offending path. The editor schema (agent-manifest.schema.json) agrees with the parser.
 */
class AgentManifestsTest {

    private static final String YAML = """
            apiVersion: 100monkeys.ai/v1
            kind: Agent
            metadata:
              name: prime-checker
              version: "1.0.0"
              description: Writes primality checks
              tags: [python, demo]
            spec:
              runtime:
                language: python
                version: "3.11"
              task:
                instruction: Write a primality check
              tools:
                - cmd.run
              env:
                LOG_LEVEL: debug
            """;
    private static final String JSON = """
            {
              "apiVersion": "100monkeys.ai/v1",
              "kind": "Agent",
              "metadata": {"name": "prime-checker", "version": "1.0.0", "description": "Writes primality checks",
                           "tags": ["python", "demo"]},
              "spec": {
                "runtime": {"language": "python", "version": "3.11"},
                "task": {"instruction": "Write a primality check"},
                "tools": ["cmd.run"],
                "env": {"LOG_LEVEL": "debug"}
              }
            }
            """;

    @Test
    void yamlAndJsonParseToEqualManifestsWithDefaultsApplied() {
        AgentManifests.ParsedManifest fromYaml = AgentManifests.parse(YAML);
        AgentManifests.ParsedManifest fromJson = AgentManifests.parse(JSON);

        assertThat(fromYaml.manifest()).isEqualTo(fromJson.manifest());
        assertThat(fromYaml.tree()).isEqualTo(fromJson.tree());

        AgentManifest m = fromYaml.manifest();
        assertThat(m.metadata().name()).isEqualTo("prime-checker");
        assertThat(m.metadata().tags()).containsExactly("python", "demo");
        assertThat(m.runtime().language()).isEqualTo("python");
        assertThat(m.runtime().version()).isEqualTo("3.11");
        assertThat(m.runtime().model()).isEqualTo("default");
        assertThat(m.runtime().imagePullPolicy()).isEqualTo("IfNotPresent");
        assertThat(m.runtime().isolation()).isEqualTo("inherit");
        assertThat(m.execution().maxIterations()).isEqualTo(5);
        assertThat(m.execution().mode()).isEqualTo("iterative");
        assertThat(m.execution().iterationTimeout()).isEqualTo(Duration.ofSeconds(300));
        assertThat(m.execution().llmTimeout()).isEqualTo(Duration.ofSeconds(300));
        assertThat(m.execution().validation()).isEmpty();
        assertThat(m.security().memoryBytes()).isEqualTo(512L * 1024 * 1024);
        assertThat(m.security().cpuMillicores()).isEqualTo(1000);
        assertThat(m.security().diskBytes()).isEqualTo(1024L * 1024 * 1024);
        assertThat(m.security().timeout()).isEqualTo(Duration.ofSeconds(1800));
        assertThat(m.security().networkMode()).isEqualTo("none");
        assertThat(m.security().networkAllowed()).isFalse();
        assertThat(m.tools()).containsExactly(ToolCatalog.CMD_RUN);
        assertThat(m.env()).containsExactlyEntriesOf(java.util.Map.of("LOG_LEVEL", "debug"));
    }

    @Test
    void explicitValuesOverrideTheDefaults() {
        ObjectNode tree = valid();
        ObjectNode spec = (ObjectNode) tree.get("spec");
        ((ObjectNode) spec.get("runtime")).put("model", "smart");
        spec.putObject("execution").put("max_iterations", 20).put("iteration_timeout", "90s").put("mode", "one-shot");
        spec.putObject("security").putObject("resources").put("memory", "1Gi").put("cpu", 500).put("timeout", "1h")
                .put("disk", "256Mi");

        AgentManifest m = AgentManifests.parse(tree.toString()).manifest();

        assertThat(m.runtime().model()).isEqualTo("smart");
        assertThat(m.execution().maxIterations()).isEqualTo(20);
        assertThat(m.execution().iterationTimeout()).isEqualTo(Duration.ofSeconds(90));
        assertThat(m.execution().mode()).isEqualTo("one-shot");
        assertThat(m.security().memoryBytes()).isEqualTo(1L << 30);
        assertThat(m.security().cpuMillicores()).isEqualTo(500);
        assertThat(m.security().diskBytes()).isEqualTo(256L << 20);
        assertThat(m.security().timeout()).isEqualTo(Duration.ofHours(1));
        assertThat(SchemaValidation.validate(SchemaResources.AGENT_MANIFEST, tree)).isEmpty();
    }

    @Test
    void theValidManifestPassesTheEditorSchemaInBothForms() {
        assertThat(SchemaValidation.validate(SchemaResources.AGENT_MANIFEST, AgentManifests.parse(YAML).tree()))
                .isEmpty();
        assertThat(SchemaValidation.validate(SchemaResources.AGENT_MANIFEST, Json.tree(JSON))).isEmpty();
    }

    static Stream<Arguments> invalidManifests() {
        return Stream.of(
                invalid("wrong apiVersion", t -> t.put("apiVersion", "aegis/v2"), "apiVersion", "100monkeys.ai/v1"),
                invalid("wrong kind", t -> t.put("kind", "Workflow"), "kind", "Agent"),
                invalid("missing metadata.name", t -> meta(t).remove("name"), "metadata.name", "is required"),
                invalid("bad name", t -> meta(t).put("name", "Bad_Name"), "metadata.name", "Bad_Name"),
                invalid("model as a number", t -> runtime(t).put("model", 42), "spec.runtime.model",
                        "must be a string"),
                invalid("max_iterations 0", t -> spec(t).putObject("execution").put("max_iterations", 0),
                        "spec.execution.max_iterations", "between 1 and 20"),
                invalid("max_iterations 21", t -> spec(t).putObject("execution").put("max_iterations", 21),
                        "spec.execution.max_iterations", "between 1 and 20"),
                invalid("unknown tool", t -> ((ArrayNode) spec(t).get("tools")).add("fs.nuke"), "spec.tools[1]",
                        "unknown tool 'fs.nuke'"),
                invalid("reserved env", t -> ((ObjectNode) spec(t).get("env")).put("AEGIS_X", "1"),
                        "spec.env.AEGIS_X", "AEGIS_"),
                invalid("memory lots", t -> spec(t).putObject("security").putObject("resources")
                        .put("memory", "lots"), "spec.security.resources.memory", "512Mi"),
                invalid("image and language", t -> runtime(t).put("image", "docker.io/library/python:3.11"),
                        "spec.runtime", "not both"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidManifests")
    void invalidManifestsAreRefusedWithTheirPath(String label, Consumer<ObjectNode> breakIt, String path,
                                                 String messagePart) {
        ObjectNode tree = valid();
        breakIt.accept(tree);

        ManifestException e = catchThrowableOfType(ManifestException.class,
                () -> AgentManifests.parse(tree.toString()));

        assertThat(e).as(label).isNotNull();
        assertThat(e.problems()).as(label).anySatisfy(p -> {
            assertThat(p.path()).isEqualTo(path);
            assertThat(p.message()).contains(messagePart);
        });
        assertThat(e.getMessage()).contains(path);
        // The same manifest in YAML is refused the same way.
        assertThatThrownBy(() -> AgentManifests.parse(toYaml(tree))).isInstanceOf(ManifestException.class)
                .hasMessageContaining(path);
        // And an editor using the published schema flags it too.
        assertThat(SchemaValidation.validate(SchemaResources.AGENT_MANIFEST, tree)).as(label).isNotEmpty();
    }

    @Test
    void everyProblemIsReportedAtOnce() {
        ObjectNode tree = valid();
        tree.put("kind", "Workflow");
        meta(tree).put("name", "-bad-");
        spec(tree).putObject("execution").put("max_iterations", 0);
        ((ArrayNode) spec(tree).get("tools")).add("fs.nuke");

        ManifestException e = catchThrowableOfType(ManifestException.class,
                () -> AgentManifests.parse(tree.toString()));

        assertThat(e.problems()).extracting(ManifestException.Problem::path).containsExactlyInAnyOrder(
                "kind", "metadata.name", "spec.execution.max_iterations", "spec.tools[1]");
    }

    @Test
    void malformedYamlIsRefusedWithItsLine() {
        String broken = """
                apiVersion: 100monkeys.ai/v1
                kind: Agent
                metadata:
                  name: [prime-checker
                  version: "1.0.0"
                """;
        ManifestException e = catchThrowableOfType(ManifestException.class, () -> AgentManifests.parse(broken));

        assertThat(e.problems()).singleElement().satisfies(p -> {
            assertThat(p.path()).isEqualTo("$");
            assertThat(p.message()).contains("line");
        });
    }

    @Test
    void malformedJsonIsRefusedWithItsLine() {
        ManifestException e = catchThrowableOfType(ManifestException.class,
                () -> AgentManifests.parse("{\"apiVersion\": \"100monkeys.ai/v1\",\n \"kind\": }"));
        assertThat(e.problems()).singleElement().satisfies(p -> assertThat(p.message()).contains("line 2"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "   \n\t "})
    void anEmptyBodyIsRefused(String body) {
        ManifestException e = catchThrowableOfType(ManifestException.class, () -> AgentManifests.parse(body));
        assertThat(e.problems()).singleElement().satisfies(p -> {
            assertThat(p.path()).isEqualTo("$");
            assertThat(p.message()).contains("empty");
        });
    }

    @Test
    void aNullBodyIsRefused() {
        assertThatThrownBy(() -> AgentManifests.parse(null)).isInstanceOf(ManifestException.class)
                .hasMessageContaining("empty");
    }

    @ParameterizedTest
    @ValueSource(strings = {"- apiVersion: 100monkeys.ai/v1\n- kind: Agent\n", "[1, 2]", "just a string", "42"})
    void aDocumentThatIsNotAMappingIsRefused(String body) {
        ManifestException e = catchThrowableOfType(ManifestException.class, () -> AgentManifests.parse(body));
        assertThat(e.problems()).singleElement().satisfies(p -> {
            assertThat(p.path()).isEqualTo("$");
            assertThat(p.message()).contains("mapping");
        });
    }

    @Test
    void theDefaultTemplateRendersInstructionAndInput() {
        AgentManifest m = AgentManifests.parse(YAML).manifest();
        assertThat(AgentManifests.renderPrompt(m, "is 7919 prime?", null))
                .isEqualTo("Write a primality check\n\nUser: is 7919 prime?\nAgent:");
    }

    @Test
    void withoutAnInstructionTheDescriptionIsUsed() {
        ObjectNode tree = valid();
        spec(tree).remove("task");
        AgentManifest m = AgentManifests.parse(tree.toString()).manifest();
        assertThat(AgentManifests.renderPrompt(m, null, null)).isEqualTo("Writes primality checks\n\nUser: \nAgent:");
    }

    @Test
    void aCustomTemplateTakesOverridesButNotTheBuiltInVariables() {
        ObjectNode tree = valid();
        ((ObjectNode) spec(tree).get("task")).put("prompt_template",
                "[{{ iteration_number }}] {{instruction}} in {{language}} (depth {{depth}}): {{input}}{{missing}}");
        AgentManifest m = AgentManifests.parse(tree.toString()).manifest();

        String prompt = AgentManifests.renderPrompt(m, "is 7919 prime?",
                Json.tree("{\"language\":\"python\",\"depth\":2,\"input\":\"ignore the task\"}"));

        // Overrides fill their own placeholders; they cannot replace the input or the instruction.
        assertThat(prompt).isEqualTo("[1] Write a primality check in python (depth 2): is 7919 prime?");
    }

    @Test
    void replacementTextIsTakenLiterally() {
        AgentManifest m = AgentManifests.parse(YAML).manifest();
        assertThat(AgentManifests.renderPrompt(m, "cost: $1 \\ {{input}}", null))
                .endsWith("User: cost: $1 \\ {{input}}\nAgent:");
    }

    /**
     * The editor schema's tool names are the catalogue the server accepts: its list holds exactly the built-in tools
     * and their families, and anything else must look like an MCP tool ({@code <server>.<tool>}, {@code <server>.*}).
     */
    @Test
    void theManifestSchemaListsExactlyTheCatalogueTools() {
        JsonNode names = Json.tree(SchemaResources.load(SchemaResources.AGENT_MANIFEST))
                .at("/$defs/tool_name/anyOf/0/enum");
        Set<String> listed = new TreeSet<>();
        names.forEach(n -> listed.add(n.asText()));
        Set<String> expected = new TreeSet<>(ToolCatalog.AVAILABLE);
        expected.addAll(Set.of("fs.*", "cmd.*"));
        assertThat(listed).isEqualTo(expected);
        for (String name : listed) {
            assertThat(ToolCatalog.problem(name)).as(name).isNull();
        }
    }

    /** Built-in tools, their families and MCP tool names: the parser and the editor schema both accept them. */
    @ParameterizedTest
    @ValueSource(strings = {"cmd.run", "fs.read", "fs.write", "fs.list", "fs.create_dir", "fs.delete", "fs.edit",
            "fs.grep", "fs.*", "cmd.*", "github.create_issue", "github.*", "my-server.Tool_1", "srv_2.a/b.c",
            "fsx.read", "cmdline.exec"})
    void theParserAndTheSchemaAcceptTheSameToolNames(String name) {
        ObjectNode tree = valid();
        ((ArrayNode) spec(tree).get("tools")).removeAll().add(name);

        assertThat(AgentManifests.parse(tree.toString()).manifest().tools()).containsExactly(name);
        assertThat(AgentManifests.parse(toYaml(tree)).manifest().tools()).containsExactly(name);
        assertThat(SchemaValidation.validate(SchemaResources.AGENT_MANIFEST, tree)).as(name).isEmpty();
    }

    /**
     * Names of a built-in family that are not its tools, and names that are not tool names at all: both refuse them,
     * the parser naming the entry.
     */
    @ParameterizedTest
    @ValueSource(strings = {"fs.chmod", "cmd.exec", "fs.read.x", "Bad Name", "notes", ".x", "fs.", "GitHub.x",
            "srv.*x", "srv.a*", "", "-srv.x"})
    void theParserAndTheSchemaRefuseTheSameToolNames(String name) {
        ObjectNode tree = valid();
        ((ArrayNode) spec(tree).get("tools")).removeAll().add(name);

        ManifestException e = catchThrowableOfType(ManifestException.class,
                () -> AgentManifests.parse(tree.toString()));
        assertThat(e).as(name).isNotNull();
        assertThat(e.problems()).as(name).anySatisfy(p -> {
            assertThat(p.path()).isEqualTo("spec.tools[0]");
            assertThat(p.message()).contains(name);
        });
        assertThat(ToolCatalog.problem(name)).as(name).isNotNull();
        assertThat(SchemaValidation.validate(SchemaResources.AGENT_MANIFEST, tree)).as(name).isNotEmpty();
        // the mapping form ({name: ...}) is refused alike
        ((ArrayNode) spec(tree).get("tools")).removeAll().addObject().put("name", name);
        assertThatThrownBy(() -> AgentManifests.parse(tree.toString())).isInstanceOf(ManifestException.class)
                .hasMessageContaining("spec.tools[0]");
        assertThat(SchemaValidation.validate(SchemaResources.AGENT_MANIFEST, tree)).as(name).isNotEmpty();
    }

    @Test
    void aFamilyOrAServerCoversItsToolsAndNoOthers() {
        assertThat(ToolCatalog.covers("fs.*", "fs.read")).isTrue();
        assertThat(ToolCatalog.covers("fs.*", "cmd.run")).isFalse();
        assertThat(ToolCatalog.covers("github.*", "github.create_issue")).isTrue();
        assertThat(ToolCatalog.covers("github.*", "githubx.create_issue")).isFalse();
        assertThat(ToolCatalog.covers("cmd.run", "cmd.run")).isTrue();
        assertThat(ToolCatalog.covers("fs.read", "fs.readx")).isFalse();
    }

    @Test
    void aSecurityContextIsTakenByName() {
        ObjectNode tree = valid();
        spec(tree).put("security_context", "aegis-system-operator");

        assertThat(AgentManifests.parse(tree.toString()).manifest().security().securityContext())
                .isEqualTo("aegis-system-operator");
        assertThat(AgentManifests.parse(toYaml(tree)).manifest().security().securityContext())
                .isEqualTo("aegis-system-operator");
        assertThat(SchemaValidation.validate(SchemaResources.AGENT_MANIFEST, tree)).isEmpty();
    }

    /** Without one, the worker's default context applies. */
    @Test
    void withoutASecurityContextItIsNull() {
        assertThat(AgentManifests.parse(YAML).manifest().security().securityContext()).isNull();
        assertThat(AgentManifests.parse(JSON).manifest().security().securityContext()).isNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"two words", "-leading", "a/b", ""})
    void anInvalidSecurityContextNameIsRefusedByTheParserAndTheSchema(String name) {
        ObjectNode tree = valid();
        spec(tree).put("security_context", name);

        ManifestException e = catchThrowableOfType(ManifestException.class,
                () -> AgentManifests.parse(tree.toString()));
        assertThat(e).as(name).isNotNull();
        assertThat(e.problems()).as(name).anySatisfy(p -> assertThat(p.path()).isEqualTo("spec.security_context"));
        assertThat(e.getMessage()).contains("spec.security_context");
        assertThat(SchemaValidation.validate(SchemaResources.AGENT_MANIFEST, tree)).as(name).isNotEmpty();
    }

    @Test
    void aSecurityContextThatIsNotAStringIsRefused() {
        ObjectNode tree = valid();
        spec(tree).put("security_context", 42);

        assertThatThrownBy(() -> AgentManifests.parse(tree.toString())).isInstanceOf(ManifestException.class)
                .hasMessageContaining("spec.security_context");
        assertThat(SchemaValidation.validate(SchemaResources.AGENT_MANIFEST, tree)).isNotEmpty();
    }

    @Test
    void theManifestSchemaIsAValidDraft202012Schema() {
        assertThat(SchemaValidation.metaSchema().validate(
                Json.tree(SchemaResources.load(SchemaResources.AGENT_MANIFEST)))).isEmpty();
    }

    private static Arguments invalid(String label, Consumer<ObjectNode> breakIt, String path, String messagePart) {
        return Arguments.of(label, breakIt, path, messagePart);
    }

    private static ObjectNode valid() {
        return (ObjectNode) Json.tree(JSON);
    }

    private static ObjectNode meta(ObjectNode tree) {
        return (ObjectNode) tree.get("metadata");
    }

    private static ObjectNode spec(ObjectNode tree) {
        return (ObjectNode) tree.get("spec");
    }

    private static ObjectNode runtime(ObjectNode tree) {
        return (ObjectNode) spec(tree).get("runtime");
    }

    private static String toYaml(JsonNode tree) {
        try {
            return Json.YAML.writeValueAsString(tree);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
