package ai.aegis.schemas.workflow;

import ai.aegis.schemas.SchemaResources;
import ai.aegis.schemas.SchemaValidation;
import ai.aegis.schemas.agent.ManifestException;
import ai.aegis.schemas.json.Json;
import ai.aegis.schemas.workflow.WorkflowManifest.AgentState;
import ai.aegis.schemas.workflow.WorkflowManifest.ContainerRunState;
import ai.aegis.schemas.workflow.WorkflowManifest.HumanState;
import ai.aegis.schemas.workflow.WorkflowManifest.Transition;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Workflow manifest parsing and validation: YAML and JSON agree, defaults are applied, each invalid manifest is
 * refused with a problem naming the offending path, and the graph check tells loops that can exit from loops that
 * cannot.
 */
class WorkflowManifestsTest {

    private static final String YAML = """
            apiVersion: 100monkeys.ai/v1
            kind: Workflow
            metadata:
              name: build-and-review
              labels: {team: platform}
            spec:
              initial_state: write
              context:
                language: python
              states:
                write:
                  kind: Agent
                  agent: coder
                  transitions:
                    - condition: score_above
                      threshold: 0.8
                      target: test
                    - condition: on_failure
                      target: approve
                test:
                  kind: ContainerRun
                  image: python:3.11-slim
                  command: [python, -m, pytest, -q]
                  env: {PYTHONDONTWRITEBYTECODE: "1"}
                  transitions:
                    - condition: exit_code_zero
                      target: approve
                    - condition: exit_code_non_zero
                      target: write
                      feedback: "tests failed: {{test.output}}"
                approve:
                  kind: Human
                  prompt: "Ship {{write.output}}?"
                  transitions:
                    - {condition: approved, target: done}
                    - {condition: input_equals, value: later, target: approve}
                    - {condition: rejected, target: write}
                done:
                  kind: Agent
                  agent: 3f1c1a8e-6a57-4d8e-9b7a-0c1d2e3f4a5b
                  input: "Announce {{write.output}}"
                  max_iterations: 2
                  transitions: []
            """;
    private static final String JSON = """
            {"apiVersion": "100monkeys.ai/v1", "kind": "Workflow",
             "metadata": {"name": "build-and-review", "labels": {"team": "platform"}},
             "spec": {"initial_state": "write", "context": {"language": "python"},
              "states": {
               "write": {"kind": "Agent", "agent": "coder", "transitions": [
                  {"condition": "score_above", "threshold": 0.8, "target": "test"},
                  {"condition": "on_failure", "target": "approve"}]},
               "test": {"kind": "ContainerRun", "image": "python:3.11-slim", "command": ["python", "-m", "pytest", "-q"],
                  "env": {"PYTHONDONTWRITEBYTECODE": "1"}, "transitions": [
                  {"condition": "exit_code_zero", "target": "approve"},
                  {"condition": "exit_code_non_zero", "target": "write", "feedback": "tests failed: {{test.output}}"}]},
               "approve": {"kind": "Human", "prompt": "Ship {{write.output}}?", "transitions": [
                  {"condition": "approved", "target": "done"},
                  {"condition": "input_equals", "value": "later", "target": "approve"},
                  {"condition": "rejected", "target": "write"}]},
               "done": {"kind": "Agent", "agent": "3f1c1a8e-6a57-4d8e-9b7a-0c1d2e3f4a5b", "input": "Announce {{write.output}}",
                  "max_iterations": 2, "transitions": []}}}}
            """;

    @Test
    void yamlAndJsonParseToEqualManifestsWithDefaultsApplied() {
        WorkflowManifests.ParsedWorkflow fromYaml = WorkflowManifests.parse(YAML);
        WorkflowManifests.ParsedWorkflow fromJson = WorkflowManifests.parse(JSON);

        assertThat(fromYaml.manifest()).isEqualTo(fromJson.manifest());
        assertThat(fromYaml.tree()).isEqualTo(fromJson.tree());

        WorkflowManifest m = fromYaml.manifest();
        assertThat(m.name()).isEqualTo("build-and-review");
        assertThat(m.metadata().version()).isEqualTo("1.0.0");
        assertThat(m.metadata().labels()).isEqualTo(Map.of("team", "platform"));
        assertThat(m.spec().initialState()).isEqualTo("write");
        assertThat(m.spec().maxSteps()).isEqualTo(1000);
        assertThat(m.spec().context()).isEqualTo(Json.tree("{\"language\":\"python\"}"));
        assertThat(m.spec().states()).containsOnlyKeys("write", "test", "approve", "done");
        assertThat(m.spec().states().keySet()).containsExactly("write", "test", "approve", "done");

        AgentState write = (AgentState) m.state("write").orElseThrow();
        assertThat(write.kind()).isEqualTo("Agent");
        assertThat(write.agent()).isEqualTo("coder");
        assertThat(write.input()).isEqualTo("{{workflow.input}}");
        assertThat(write.maxIterations()).isNull();
        assertThat(write.terminal()).isFalse();
        assertThat(write.transitions()).containsExactly(
                new Transition(TransitionCondition.SCORE_ABOVE, "test", 0.8, null, null),
                new Transition(TransitionCondition.ON_FAILURE, "approve", null, null, null));

        ContainerRunState test = (ContainerRunState) m.state("test").orElseThrow();
        assertThat(test.command()).containsExactly("python", "-m", "pytest", "-q");
        assertThat(test.env()).isEqualTo(Map.of("PYTHONDONTWRITEBYTECODE", "1"));
        assertThat(test.network()).isFalse();
        assertThat(test.resources()).isEqualTo(new WorkflowManifest.Resources(1000, 512L * 1024 * 1024,
                Duration.ofSeconds(300)));
        assertThat(test.transitions().get(1).feedback()).isEqualTo("tests failed: {{test.output}}");

        HumanState approve = (HumanState) m.state("approve").orElseThrow();
        assertThat(approve.timeout()).isEqualTo(Duration.ofHours(1));
        assertThat(approve.defaultResponse()).isNull();
        assertThat(approve.transitions().get(1).value()).isEqualTo("later");

        AgentState done = (AgentState) m.state("done").orElseThrow();
        assertThat(done.terminal()).isTrue();
        assertThat(done.maxIterations()).isEqualTo(2);
        assertThat(m.agentReferences()).containsExactly("coder", "3f1c1a8e-6a57-4d8e-9b7a-0c1d2e3f4a5b");
        assertThat(m.state("nowhere")).isEmpty();
    }

    @Test
    void explicitValuesOverrideTheDefaults() {
        ObjectNode tree = valid();
        meta(tree).put("version", 2.1);
        spec(tree).put("max_steps", 10);
        state(tree, "approve").put("timeout", "5m").put("default_response", "approved");
        state(tree, "test").put("network", true).putObject("resources").put("cpu", 250).put("memory", "1Gi")
                .put("timeout", 45);

        WorkflowManifest m = WorkflowManifests.fromTree(tree);

        assertThat(m.metadata().version()).isEqualTo("2.1");
        assertThat(m.spec().maxSteps()).isEqualTo(10);
        HumanState approve = (HumanState) m.state("approve").orElseThrow();
        assertThat(approve.timeout()).isEqualTo(Duration.ofMinutes(5));
        assertThat(approve.defaultResponse()).isEqualTo("approved");
        ContainerRunState test = (ContainerRunState) m.state("test").orElseThrow();
        assertThat(test.network()).isTrue();
        assertThat(test.resources()).isEqualTo(new WorkflowManifest.Resources(250, 1L << 30, Duration.ofSeconds(45)));
        assertThat(SchemaValidation.validate(SchemaResources.WORKFLOW_MANIFEST, tree)).isEmpty();
    }

    /** YAML 1.1 reads a bare yes as text in Jackson; either way the response is text, never a boolean. */
    @ParameterizedTest
    @ValueSource(strings = {"yes", "no", "on", "\"no\"", "true", "42", "Ship it anyway"})
    void aDefaultResponseIsAlwaysText(String yamlValue) {
        String yaml = YAML.replace("prompt: \"Ship {{write.output}}?\"",
                "prompt: \"Ship {{write.output}}?\"\n      default_response: " + yamlValue);
        HumanState approve = (HumanState) WorkflowManifests.parse(yaml).manifest().state("approve").orElseThrow();
        assertThat(approve.defaultResponse()).isEqualTo(yamlValue.replace("\"", ""));
    }

    @Test
    void theValidManifestPassesTheEditorSchemaInBothForms() {
        assertThat(SchemaValidation.validate(SchemaResources.WORKFLOW_MANIFEST, WorkflowManifests.parse(YAML).tree()))
                .isEmpty();
        assertThat(SchemaValidation.validate(SchemaResources.WORKFLOW_MANIFEST, Json.tree(JSON))).isEmpty();
    }

    @Test
    void theExampleReviewWorkflowParses() throws IOException {
        String text = Files.readString(Path.of("..", "examples", "review-workflow.yaml"), StandardCharsets.UTF_8);

        WorkflowManifests.ParsedWorkflow parsed = WorkflowManifests.parse(text);
        WorkflowManifest m = parsed.manifest();

        assertThat(m.name()).isEqualTo("review-workflow");
        assertThat(m.spec().initialState()).isEqualTo("drafter");
        assertThat(m.agentReferences()).containsExactlyInAnyOrder("drafter", "reviser", "publisher");
        assertThat(m.state("review").orElseThrow()).isInstanceOf(HumanState.class);
        assertThat(m.state("review").orElseThrow().transitions()).extracting(Transition::condition, Transition::target)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(TransitionCondition.APPROVED, "publisher"),
                        org.assertj.core.groups.Tuple.tuple(TransitionCondition.REJECTED, "reviser"));
        assertThat(m.state("reviser").orElseThrow().transitions()).singleElement()
                .extracting(Transition::target).isEqualTo("review");
        assertThat(m.spec().states().values().stream().filter(WorkflowManifest.State::terminal)
                .map(WorkflowManifest.State::name)).containsExactly("publisher");
        assertThat(SchemaValidation.validate(SchemaResources.WORKFLOW_MANIFEST, parsed.tree())).isEmpty();
    }

    static Stream<Arguments> invalidManifests() {
        return Stream.of(
                invalid("wrong kind", t -> t.put("kind", "Agent"), "kind", "Workflow"),
                invalid("bad name", t -> meta(t).put("name", "Review_Flow"), "metadata.name", "Review_Flow"),
                invalid("missing initial state", t -> spec(t).remove("initial_state"), "spec.initial_state",
                        "is required"),
                invalid("initial state names no state", t -> spec(t).put("initial_state", "start"),
                        "spec.initial_state", "names no state: 'start'"),
                invalid("no states", t -> spec(t).putObject("states"), "spec.states", "at least one state"),
                invalid("unknown target", t -> transition(t, "write", 0).put("target", "deploy"),
                        "spec.states.write.transitions[0].target", "names no state: 'deploy'"),
                invalid("bad condition", t -> transition(t, "write", 1).put("condition", "on_error"),
                        "spec.states.write.transitions[1].condition", "must be one of [always, on_success"),
                invalid("threshold above 1", t -> transition(t, "write", 0).put("threshold", 1.5),
                        "spec.states.write.transitions[0].threshold", "between 0 and 1"),
                invalid("threshold below 0", t -> transition(t, "write", 0).put("threshold", -0.1),
                        "spec.states.write.transitions[0].threshold", "between 0 and 1"),
                invalid("threshold missing", t -> transition(t, "write", 0).remove("threshold"),
                        "spec.states.write.transitions[0].threshold", "is required for score_above"),
                invalid("threshold on another condition", t -> transition(t, "write", 1).put("threshold", 0.5),
                        "spec.states.write.transitions[1].threshold", "only to score_above"),
                invalid("input_equals without value", t -> transition(t, "approve", 1).remove("value"),
                        "spec.states.approve.transitions[1].value", "is required for input_equals"),
                invalid("approved on an Agent state", t -> transition(t, "write", 1).put("condition", "approved"),
                        "spec.states.write.transitions[1].condition", "does not apply to a Agent state"),
                invalid("input_equals_no on a ContainerRun state",
                        t -> transition(t, "test", 1).put("condition", "input_equals_no"),
                        "spec.states.test.transitions[1].condition", "needs a Human state"),
                invalid("exit code condition on an Agent state",
                        t -> transition(t, "write", 1).put("condition", "exit_code_zero"),
                        "spec.states.write.transitions[1].condition", "needs a ContainerRun state"),
                invalid("exit code condition on a Human state",
                        t -> transition(t, "approve", 0).put("condition", "exit_code_non_zero"),
                        "spec.states.approve.transitions[0].condition", "needs a ContainerRun state"),
                invalid("unknown kind", t -> state(t, "test").put("kind", "System"), "spec.states.test.kind",
                        "must be one of [Agent, Human, ContainerRun]"),
                invalid("bad state name", t -> rename(t, "done", "1done"), "spec.states.1done",
                        "start with a letter"),
                invalid("reserved state name", t -> rename(t, "done", "context"), "spec.states.context",
                        "reserved"),
                invalid("agent missing", t -> state(t, "write").remove("agent"), "spec.states.write.agent",
                        "is required"),
                invalid("agent neither name nor id", t -> state(t, "write").put("agent", "Coder Bot"),
                        "spec.states.write.agent", "agent name or id"),
                invalid("max_iterations 21", t -> state(t, "done").put("max_iterations", 21),
                        "spec.states.done.max_iterations", "between 1 and 20"),
                invalid("prompt missing", t -> state(t, "approve").remove("prompt"), "spec.states.approve.prompt",
                        "is required"),
                invalid("bad timeout", t -> state(t, "approve").put("timeout", "soon"),
                        "spec.states.approve.timeout", "30s"),
                invalid("image missing", t -> state(t, "test").remove("image"), "spec.states.test.image",
                        "is required"),
                invalid("command empty", t -> state(t, "test").putArray("command"), "spec.states.test.command",
                        "at least the program"),
                invalid("command a string", t -> state(t, "test").put("command", "pytest -q"),
                        "spec.states.test.command", "must be a list of strings"),
                invalid("memory lots", t -> state(t, "test").putObject("resources").put("memory", "lots"),
                        "spec.states.test.resources.memory", "512Mi"),
                invalid("network yes-ish", t -> state(t, "test").put("network", "on"), "spec.states.test.network",
                        "true or false"),
                invalid("max_steps 1001", t -> spec(t).put("max_steps", 1001), "spec.max_steps",
                        "between 1 and 1000"),
                invalid("transitions not a list", t -> state(t, "done").put("transitions", "end"),
                        "spec.states.done.transitions", "must be a list"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidManifests")
    void invalidManifestsAreRefusedWithTheirPath(String label, Consumer<ObjectNode> breakIt, String path,
                                                 String messagePart) {
        ObjectNode tree = valid();
        breakIt.accept(tree);

        ManifestException e = catchThrowableOfType(ManifestException.class,
                () -> WorkflowManifests.parse(tree.toString()));

        assertThat(e).as(label).isNotNull();
        assertThat(e.problems()).as(label).anySatisfy(p -> {
            assertThat(p.path()).isEqualTo(path);
            assertThat(p.message()).contains(messagePart);
        });
        assertThat(e.getMessage()).contains(path);
        assertThatThrownBy(() -> WorkflowManifests.parse(toYaml(tree))).isInstanceOf(ManifestException.class)
                .hasMessageContaining(path);
    }

    /** What the editor schema can express, it flags too (targets and the graph need the server). */
    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidManifests")
    void theEditorSchemaFlagsWhatItCanExpress(String label, Consumer<ObjectNode> breakIt, String path,
                                              String messagePart) {
        ObjectNode tree = valid();
        breakIt.accept(tree);
        boolean serverOnly = messagePart.startsWith("names no state");
        assertThat(SchemaValidation.validate(SchemaResources.WORKFLOW_MANIFEST, tree).isEmpty()).as(label)
                .isEqualTo(serverOnly);
    }

    @Test
    void everyProblemIsReportedAtOnce() {
        ObjectNode tree = valid();
        tree.put("kind", "Agent");
        spec(tree).put("initial_state", "start");
        transition(tree, "write", 0).put("threshold", 2);
        transition(tree, "write", 1).put("condition", "rejected");
        state(tree, "approve").remove("prompt");

        ManifestException e = catchThrowableOfType(ManifestException.class,
                () -> WorkflowManifests.fromTree(tree));

        assertThat(e.problems()).extracting(ManifestException.Problem::path).containsExactlyInAnyOrder(
                "kind", "spec.initial_state", "spec.states.write.transitions[0].threshold",
                "spec.states.write.transitions[1].condition", "spec.states.approve.prompt");
    }

    @Test
    void aCycleWithNoExitIsRefusedNamingItsStates() {
        String yaml = """
                apiVersion: 100monkeys.ai/v1
                kind: Workflow
                metadata: {name: ping-pong}
                spec:
                  initial_state: start
                  states:
                    start:
                      kind: Agent
                      agent: starter
                      transitions:
                        - {condition: on_success, target: ping}
                        - {condition: on_failure, target: end}
                    ping:
                      kind: Agent
                      agent: pinger
                      transitions: [{condition: always, target: pong}]
                    pong:
                      kind: Agent
                      agent: ponger
                      transitions:
                        - {condition: on_success, target: ping}
                        - {condition: on_failure, target: ping}
                    end: {kind: Agent, agent: ender, transitions: []}
                """;

        ManifestException e = catchThrowableOfType(ManifestException.class, () -> WorkflowManifests.parse(yaml));

        assertThat(e.problems()).singleElement().satisfies(p -> {
            assertThat(p.path()).isEqualTo("spec.states");
            assertThat(p.message()).contains("states [ping, pong] can never reach a terminal state");
        });
    }

    @Test
    void aWorkflowWithNoTerminalStateAtAllIsRefused() {
        ObjectNode tree = valid();
        state(tree, "done").putArray("transitions").addObject().put("condition", "always").put("target", "write");

        ManifestException e = catchThrowableOfType(ManifestException.class, () -> WorkflowManifests.fromTree(tree));

        assertThat(e.getMessage()).contains("states [write, test, approve, done] can never reach a terminal state");
    }

    @Test
    void aLoopThatCanExitIsAccepted() {
        // write <-> test loops on failing tests and write <-> approve on rejection, but approve can reach done.
        WorkflowManifest m = WorkflowManifests.parse(YAML).manifest();
        assertThat(m.state("test").orElseThrow().transitions()).extracting(Transition::target)
                .contains("write");
        assertThat(WorkflowManifests.statesThatCannotTerminate("write", m.spec().states())).isEmpty();
    }

    @Test
    void anUnreachableStuckLoopIsNotTheRunsProblem() {
        // Dead states cannot trap a run; the check only concerns what the initial state can reach.
        ObjectNode tree = valid();
        ObjectNode states = (ObjectNode) spec(tree).get("states");
        states.putObject("orphanA").put("kind", "Agent").put("agent", "a").putArray("transitions").addObject()
                .put("condition", "always").put("target", "orphanB");
        states.putObject("orphanB").put("kind", "Agent").put("agent", "b").putArray("transitions").addObject()
                .put("condition", "always").put("target", "orphanA");

        assertThat(WorkflowManifests.fromTree(tree).spec().states()).containsKeys("orphanA", "orphanB");
    }

    @Test
    void malformedYamlIsRefusedWithItsLine() {
        ManifestException e = catchThrowableOfType(ManifestException.class,
                () -> WorkflowManifests.parse("apiVersion: 100monkeys.ai/v1\nkind: Workflow\nmetadata:\n  name: [x\n"));

        assertThat(e.problems()).singleElement().satisfies(p -> {
            assertThat(p.path()).isEqualTo("$");
            assertThat(p.message()).contains("line");
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "   ", "- a list", "42", "[1, 2]"})
    void bodiesThatAreNotAMappingAreRefused(String body) {
        ManifestException e = catchThrowableOfType(ManifestException.class, () -> WorkflowManifests.parse(body));
        assertThat(e.problems()).singleElement().extracting(ManifestException.Problem::path).isEqualTo("$");
    }

    @Test
    void yesAndNoHaveOneDefinition() {
        for (String yes : List.of("yes", "Y", " approved ", "APPROVE", "1", "true")) {
            assertThat(TransitionCondition.meansYes(yes)).as(yes).isTrue();
            assertThat(TransitionCondition.meansNo(yes)).as(yes).isFalse();
        }
        for (String no : List.of("no", "N", "rejected", "reject", "0", "false")) {
            assertThat(TransitionCondition.meansNo(no)).as(no).isTrue();
            assertThat(TransitionCondition.meansYes(no)).as(no).isFalse();
        }
        assertThat(TransitionCondition.meansYes("maybe")).isFalse();
        assertThat(TransitionCondition.meansNo(null)).isFalse();
    }

    private static ObjectNode valid() {
        return (ObjectNode) Json.tree(JSON);
    }

    private static ObjectNode meta(ObjectNode t) {
        return (ObjectNode) t.get("metadata");
    }

    private static ObjectNode spec(ObjectNode t) {
        return (ObjectNode) t.get("spec");
    }

    private static ObjectNode state(ObjectNode t, String name) {
        return (ObjectNode) spec(t).get("states").get(name);
    }

    private static ObjectNode transition(ObjectNode t, String state, int index) {
        return (ObjectNode) ((ArrayNode) state(t, state).get("transitions")).get(index);
    }

    private static void rename(ObjectNode t, String from, String to) {
        ObjectNode states = (ObjectNode) spec(t).get("states");
        states.set(to, states.remove(from));
        states.fields().forEachRemaining(e -> e.getValue().path("transitions").forEach(tr -> {
            if (tr.path("target").asText().equals(from)) {
                ((ObjectNode) tr).put("target", to);
            }
        }));
    }

    private static Arguments invalid(String label, Consumer<ObjectNode> breakIt, String path, String messagePart) {
        return Arguments.of(label, breakIt, path, messagePart);
    }

    private static String toYaml(ObjectNode tree) {
        try {
            return Json.YAML.writeValueAsString(tree);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
