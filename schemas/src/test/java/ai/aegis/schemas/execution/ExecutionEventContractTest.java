package ai.aegis.schemas.execution;

import ai.aegis.schemas.SchemaResources;
import ai.aegis.schemas.SchemaValidation;
import ai.aegis.schemas.execution.ExecutionEvent.ExecutionCancelled;
import ai.aegis.schemas.execution.ExecutionEvent.ExecutionCompleted;
import ai.aegis.schemas.execution.ExecutionEvent.ExecutionFailed;
import ai.aegis.schemas.execution.ExecutionEvent.ExecutionStarted;
import ai.aegis.schemas.execution.ExecutionEvent.ExecutionTimedOut;
import ai.aegis.schemas.execution.ExecutionEvent.IterationCompleted;
import ai.aegis.schemas.execution.ExecutionEvent.IterationError;
import ai.aegis.schemas.execution.ExecutionEvent.IterationFailed;
import ai.aegis.schemas.execution.ExecutionEvent.IterationOutput;
import ai.aegis.schemas.execution.ExecutionEvent.IterationStarted;
import ai.aegis.schemas.execution.ExecutionEvent.LlmInteraction;
import ai.aegis.schemas.execution.ExecutionEvent.PolicyViolation;
import ai.aegis.schemas.execution.ExecutionEvent.ToolCall;
import ai.aegis.schemas.execution.ExecutionEvent.ValidationPerformed;
import ai.aegis.schemas.json.Json;
import com.fasterxml.jackson.annotation.JsonTypeName;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.UncheckedIOException;
import java.lang.reflect.RecordComponent;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Every event type against the reference's JSON form: the record serialises to the literal JSON below, reads back to
 * an equal record, and the JSON passes execution-event.schema.json. Wrong shapes fail the schema.
 */
class ExecutionEventContractTest {

    private static final String SCHEMA = SchemaResources.EXECUTION_EVENT;
    private static final String EXEC = "3f1c1a8e-6a57-4d8e-9b7a-0c1d2e3f4a5b";
    private static final String AGENT = "9b2e4c6d-1f3a-4b5c-8d7e-6f5a4b3c2d1e";
    private static final Instant T0 = Instant.parse("2026-03-05T14:00:00Z");
    private static final Instant T1 = Instant.parse("2026-03-05T14:00:01.250Z");

    static Stream<Arguments> everyEventType() {
        return Stream.of(
                Arguments.of(new ExecutionStarted(EXEC, AGENT, T0), """
                        {"execution_started":{"execution_id":"%s","agent_id":"%s","started_at":"2026-03-05T14:00:00Z"}}
                        """.formatted(EXEC, AGENT)),
                Arguments.of(new IterationStarted(EXEC, 1, "Write a primality check", T1), """
                        {"iteration_started":{"execution_id":"%s","iteration_number":1,
                         "action":"Write a primality check","started_at":"2026-03-05T14:00:01.250Z"}}
                        """.formatted(EXEC)),
                Arguments.of(new IterationOutput(EXEC, 1, "stderr", "Traceback (most recent call last):", T1), """
                        {"iteration_output":{"execution_id":"%s","iteration_number":1,"stream":"stderr",
                         "output":"Traceback (most recent call last):","truncated":false,
                         "timestamp":"2026-03-05T14:00:01.250Z"}}
                        """.formatted(EXEC)),
                // Several lines in one record, after bytes the worker dropped.
                Arguments.of(new IterationOutput(EXEC, 1, "stdout", "y\ny", true, 4096L, T1), """
                        {"iteration_output":{"execution_id":"%s","iteration_number":1,"stream":"stdout",
                         "output":"y\\ny","truncated":true,"omitted_bytes":4096,
                         "timestamp":"2026-03-05T14:00:01.250Z"}}
                        """.formatted(EXEC)),
                Arguments.of(new ToolCall(EXEC, 2, "call_7", "cmd.run",
                        Json.tree("{\"command\":\"python3 -m pytest\",\"timeout_seconds\":60}"), "2 passed", 0, false,
                        1834, T1), """
                        {"tool_call":{"execution_id":"%s","iteration_number":2,"tool_call_id":"call_7","name":"cmd.run",
                         "arguments":{"command":"python3 -m pytest","timeout_seconds":60},"result_summary":"2 passed",
                         "exit_code":0,"truncated":false,"duration_ms":1834,"timestamp":"2026-03-05T14:00:01.250Z"}}
                        """.formatted(EXEC)),
                // Optional fields absent: null components are left out of the JSON, never written as null.
                Arguments.of(new ToolCall(EXEC, 1, null, "cmd.run", Json.tree("{}"), null, null, true, 0, T0), """
                        {"tool_call":{"execution_id":"%s","iteration_number":1,"name":"cmd.run","arguments":{},
                         "truncated":true,"duration_ms":0,"timestamp":"2026-03-05T14:00:00Z"}}
                        """.formatted(EXEC)),
                Arguments.of(new PolicyViolation(EXEC, 2, "call_8", "fs.read", "path_outside_boundary",
                        "fs.read: /etc/passwd is outside the workspace", "default", "gateway", T1), """
                        {"policy_violation":{"execution_id":"%s","iteration_number":2,"tool_call_id":"call_8",
                         "tool":"fs.read","violation_type":"path_outside_boundary",
                         "message":"fs.read: /etc/passwd is outside the workspace","security_context":"default",
                         "source":"gateway","timestamp":"2026-03-05T14:00:01.250Z"}}
                        """.formatted(EXEC)),
                // A signed invocation without a JSON-RPC id: tool_call_id left out.
                Arguments.of(new PolicyViolation(EXEC, 1, null, "cmd.run", "rate_limit_exceeded",
                        "cmd.run: more than 10 calls a minute", "default", "smcp", T0), """
                        {"policy_violation":{"execution_id":"%s","iteration_number":1,"tool":"cmd.run",
                         "violation_type":"rate_limit_exceeded","message":"cmd.run: more than 10 calls a minute",
                         "security_context":"default","source":"smcp","timestamp":"2026-03-05T14:00:00Z"}}
                        """.formatted(EXEC)),
                Arguments.of(new LlmInteraction(EXEC, 1, "openai", "gpt-4o-mini", 812, 96, "tool_calls", 1420, T1), """
                        {"llm_interaction":{"execution_id":"%s","iteration_number":1,"provider":"openai",
                         "model":"gpt-4o-mini","input_tokens":812,"output_tokens":96,"finish_reason":"tool_calls",
                         "duration_ms":1420,"timestamp":"2026-03-05T14:00:01.250Z"}}
                        """.formatted(EXEC)),
                Arguments.of(new LlmInteraction(EXEC, 1, "scripted", "scripted", null, null, null, 3, T0), """
                        {"llm_interaction":{"execution_id":"%s","iteration_number":1,"provider":"scripted",
                         "model":"scripted","duration_ms":3,"timestamp":"2026-03-05T14:00:00Z"}}
                        """.formatted(EXEC)),
                Arguments.of(new IterationCompleted(EXEC, 1, "def is_prime(n): ...", T1), """
                        {"iteration_completed":{"execution_id":"%s","iteration_number":1,
                         "output":"def is_prime(n): ...","completed_at":"2026-03-05T14:00:01.250Z"}}
                        """.formatted(EXEC)),
                Arguments.of(new IterationFailed(EXEC, 2, new IterationError("runtime_error", "exit code 1",
                        "NameError: name 'x' is not defined"), T1), """
                        {"iteration_failed":{"execution_id":"%s","iteration_number":2,
                         "error":{"error_type":"runtime_error","message":"exit code 1",
                                  "details":"NameError: name 'x' is not defined"},
                         "failed_at":"2026-03-05T14:00:01.250Z"}}
                        """.formatted(EXEC)),
                Arguments.of(new ValidationPerformed(EXEC, 1, "semantic", 0.92, 0.8, true, "meets the spec", T1), """
                        {"validation_performed":{"execution_id":"%s","iteration_number":1,"validator":"semantic",
                         "score":0.92,"confidence":0.8,"passed":true,"reason":"meets the spec",
                         "validated_at":"2026-03-05T14:00:01.250Z"}}
                        """.formatted(EXEC)),
                Arguments.of(new ExecutionCompleted(EXEC, "def is_prime(n): ...", 1, T1), """
                        {"execution_completed":{"execution_id":"%s","final_output":"def is_prime(n): ...",
                         "total_iterations":1,"completed_at":"2026-03-05T14:00:01.250Z"}}
                        """.formatted(EXEC)),
                Arguments.of(new ExecutionFailed(EXEC, "validation failed after 5 iterations", 5, T1), """
                        {"execution_failed":{"execution_id":"%s","reason":"validation failed after 5 iterations",
                         "total_iterations":5,"failed_at":"2026-03-05T14:00:01.250Z"}}
                        """.formatted(EXEC)),
                Arguments.of(new ExecutionCancelled(EXEC, "cancelled by alice", T1), """
                        {"execution_cancelled":{"execution_id":"%s","reason":"cancelled by alice",
                         "cancelled_at":"2026-03-05T14:00:01.250Z"}}
                        """.formatted(EXEC)),
                Arguments.of(new ExecutionCancelled(EXEC, null, T0), """
                        {"execution_cancelled":{"execution_id":"%s","cancelled_at":"2026-03-05T14:00:00Z"}}
                        """.formatted(EXEC)),
                Arguments.of(new ExecutionTimedOut(EXEC, 1800, 3, T1), """
                        {"execution_timed_out":{"execution_id":"%s","timeout_seconds":1800,"total_iterations":3,
                         "timed_out_at":"2026-03-05T14:00:01.250Z"}}
                        """.formatted(EXEC)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("everyEventType")
    void serialisesToTheReferenceShapeReadsBackAndValidates(ExecutionEvent event, String expectedJson) {
        String json = Json.write(event);

        assertThat(Json.tree(json)).isEqualTo(Json.tree(expectedJson));
        assertThat(json).startsWith("{\"" + event.type() + "\":{");
        assertThat(Json.read(json, ExecutionEvent.class)).isEqualTo(event);
        assertThat(SchemaValidation.validate(SCHEMA, Json.tree(json))).isEmpty();
    }

    @Test
    void theParameterisedCasesCoverEveryEventType() {
        Set<String> covered = everyEventType().map(a -> ((ExecutionEvent) a.get()[0]).type())
                .collect(Collectors.toSet());
        assertThat(covered).containsExactlyInAnyOrderElementsOf(typeNames()).hasSize(13);
    }

    /** The four frames of the reference's "Example stream", byte for byte. */
    @Test
    void theReferenceExampleStreamReadsIntoTheRightRecordsAndWritesBackTheSameJson() {
        List<String> frames = List.of(
                "{\"execution_started\":{\"execution_id\":\"exec-uuid\",\"agent_id\":\"agt-uuid\",\"started_at\":\"2026-03-05T14:00:00Z\"}}",
                "{\"iteration_started\":{\"execution_id\":\"exec-uuid\",\"iteration_number\":1,\"action\":\"Write a primality check\",\"started_at\":\"2026-03-05T14:00:01Z\"}}",
                "{\"iteration_completed\":{\"execution_id\":\"exec-uuid\",\"iteration_number\":1,\"output\":\"def is_prime(n): ...\",\"completed_at\":\"2026-03-05T14:00:15Z\"}}",
                "{\"execution_completed\":{\"execution_id\":\"exec-uuid\",\"final_output\":\"def is_prime(n): ...\",\"total_iterations\":1,\"completed_at\":\"2026-03-05T14:00:15Z\"}}");
        List<ExecutionEvent> events = frames.stream().map(f -> Json.read(f, ExecutionEvent.class)).toList();

        assertThat(events).extracting(Object::getClass).containsExactly(ExecutionStarted.class,
                IterationStarted.class, IterationCompleted.class, ExecutionCompleted.class);
        assertThat(events.get(0)).isEqualTo(new ExecutionStarted("exec-uuid", "agt-uuid", T0));
        assertThat(events.get(3)).isEqualTo(new ExecutionCompleted("exec-uuid", "def is_prime(n): ...", 1,
                Instant.parse("2026-03-05T14:00:15Z")));
        assertThat(events).extracting(ExecutionEvent::terminal).containsExactly(false, false, false, true);
        for (int i = 0; i < frames.size(); i++) {
            assertThat(Json.tree(Json.write(events.get(i)))).isEqualTo(Json.tree(frames.get(i)));
            // A client can tell the type by the single key, as the reference's EventSource example does.
            assertThat(Json.write(events.get(i))).isEqualTo(frames.get(i));
            assertThat(SchemaValidation.validate(SCHEMA, Json.tree(frames.get(i)))).isEmpty();
        }
    }

    /** A console line written before records carried several lines and the truncated flag still reads. */
    @Test
    void anIterationOutputWithoutTruncatedReadsAsNotTruncated() {
        IterationOutput old = (IterationOutput) Json.read("""
                {"iteration_output":{"execution_id":"%s","iteration_number":1,"stream":"stdout","output":"hi",
                 "timestamp":"2026-03-05T14:00:00Z"}}""".formatted(EXEC), ExecutionEvent.class);
        assertThat(old).isEqualTo(new IterationOutput(EXEC, 1, "stdout", "hi", T0));
        assertThat(old.truncated()).isFalse();
        assertThat(old.omittedBytes()).isNull();
    }

    /**
     * Every event type carries its run attempt as {@code attempt} when it has one; without one (the first run, and
     * every record written before attempts existed) it reads as attempt 1.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("everyEventType")
    void everyEventCarriesItsRunAttemptAndOneWithoutReadsAsTheFirst(ExecutionEvent event, String expectedJson) {
        ExecutionEvent second = event.withAttempt(2);
        String json = Json.write(second);

        JsonNode expected = Json.tree(expectedJson);
        ((com.fasterxml.jackson.databind.node.ObjectNode) expected.get(event.type())).put("attempt", 2);
        assertThat(Json.tree(json)).isEqualTo(expected);
        assertThat(Json.read(json, ExecutionEvent.class)).isEqualTo(second);
        assertThat(second.attemptNumber()).isEqualTo(2);
        assertThat(second.withAttempt(null)).isEqualTo(event);
        assertThat(SchemaValidation.validate(SCHEMA, Json.tree(json))).isEmpty();

        ExecutionEvent old = Json.read(expectedJson, ExecutionEvent.class);
        assertThat(old.attempt()).isNull();
        assertThat(old.attemptNumber()).isEqualTo(1);
    }

    @Test
    void attemptsCountFromOne() {
        assertThat(SchemaValidation.validate(SCHEMA, Json.tree("""
                {"execution_started":{"execution_id":"e","agent_id":"a","started_at":"2026-03-05T14:00:00Z",
                 "attempt":0}}"""))).isNotEmpty();
    }

    @Test
    void exactlyTheFourLastTypesAreTerminal() {
        assertThat(everyEventType().map(a -> (ExecutionEvent) a.get()[0]).filter(ExecutionEvent::terminal)
                .map(ExecutionEvent::type).distinct())
                .containsExactlyInAnyOrder("execution_completed", "execution_failed", "execution_cancelled",
                        "execution_timed_out");
    }

    @Test
    void aMissingRequiredFieldFailsTheSchema() {
        JsonNode noFinalOutput = Json.tree("""
                {"execution_completed":{"execution_id":"%s","total_iterations":1,"completed_at":"2026-03-05T14:00:00Z"}}
                """.formatted(EXEC));
        assertThat(SchemaValidation.validate(SCHEMA, noFinalOutput)).isNotEmpty()
                .anySatisfy(m -> assertThat(m.getMessage()).contains("final_output"));
    }

    @Test
    void twoKeysInOneEventFailTheSchema() {
        JsonNode twoKeys = Json.tree("""
                {"execution_started":{"execution_id":"%s","agent_id":"%s","started_at":"2026-03-05T14:00:00Z"},
                 "execution_cancelled":{"execution_id":"%s","cancelled_at":"2026-03-05T14:00:00Z"}}
                """.formatted(EXEC, AGENT, EXEC));
        assertThat(SchemaValidation.validate(SCHEMA, twoKeys)).isNotEmpty();
    }

    @Test
    void anUnknownEventTypeFailsTheSchemaAndTheReader() {
        String paused = """
                {"execution_paused":{"execution_id":"%s","paused_at":"2026-03-05T14:00:00Z"}}
                """.formatted(EXEC);
        assertThat(SchemaValidation.validate(SCHEMA, Json.tree(paused))).isNotEmpty();
        assertThatThrownBy(() -> Json.read(paused, ExecutionEvent.class)).isInstanceOf(UncheckedIOException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            // not RFC 3339
            "{\"execution_started\":{\"execution_id\":\"e\",\"agent_id\":\"a\",\"started_at\":\"yesterday\"}}",
            // wrong type
            "{\"iteration_started\":{\"execution_id\":\"e\",\"iteration_number\":\"one\",\"action\":\"x\",\"started_at\":\"2026-03-05T14:00:00Z\"}}",
            // iterations count from 1
            "{\"iteration_completed\":{\"execution_id\":\"e\",\"iteration_number\":0,\"output\":\"x\",\"completed_at\":\"2026-03-05T14:00:00Z\"}}",
            // stream is stdout or stderr
            "{\"iteration_output\":{\"execution_id\":\"e\",\"iteration_number\":1,\"stream\":\"stdlog\",\"output\":\"x\",\"truncated\":false,\"timestamp\":\"2026-03-05T14:00:00Z\"}}",
            // nothing dropped is said by leaving omitted_bytes out, never by zero
            "{\"iteration_output\":{\"execution_id\":\"e\",\"iteration_number\":1,\"stream\":\"stdout\",\"output\":\"x\",\"truncated\":false,\"omitted_bytes\":0,\"timestamp\":\"2026-03-05T14:00:00Z\"}}",
            // score is within 0..1
            "{\"validation_performed\":{\"execution_id\":\"e\",\"iteration_number\":1,\"validator\":\"regex\",\"score\":1.5,\"confidence\":1,\"passed\":true,\"validated_at\":\"2026-03-05T14:00:00Z\"}}",
            // the error needs its type
            "{\"iteration_failed\":{\"execution_id\":\"e\",\"iteration_number\":1,\"error\":{\"message\":\"m\"},\"failed_at\":\"2026-03-05T14:00:00Z\"}}",
            // a violation names one of the rules and one of the places that refuse
            "{\"policy_violation\":{\"execution_id\":\"e\",\"iteration_number\":1,\"tool\":\"fs.read\",\"violation_type\":\"bad_vibes\",\"message\":\"m\",\"security_context\":\"default\",\"source\":\"gateway\",\"timestamp\":\"2026-03-05T14:00:00Z\"}}",
            "{\"policy_violation\":{\"execution_id\":\"e\",\"iteration_number\":1,\"tool\":\"fs.read\",\"violation_type\":\"tool_not_allowed\",\"message\":\"m\",\"security_context\":\"default\",\"source\":\"kernel\",\"timestamp\":\"2026-03-05T14:00:00Z\"}}",
            // and says which context decided
            "{\"policy_violation\":{\"execution_id\":\"e\",\"iteration_number\":1,\"tool\":\"fs.read\",\"violation_type\":\"tool_not_allowed\",\"message\":\"m\",\"source\":\"gateway\",\"timestamp\":\"2026-03-05T14:00:00Z\"}}",
            // the bare body without its wrapper
            "{\"execution_id\":\"e\",\"agent_id\":\"a\",\"started_at\":\"2026-03-05T14:00:00Z\"}",
            "[]",
            "{}"})
    void wrongShapesFailTheSchema(String json) {
        assertThat(SchemaValidation.validate(SCHEMA, Json.tree(json))).isNotEmpty();
    }

    /**
     * Keeps the schema and the records from drifting apart: each event type has a definition whose properties are
     * exactly the record's components in snake_case, and every primitive component (always written) is required.
     */
    @Test
    void theSchemaDescribesExactlyTheRecordsFields() {
        JsonNode schema = Json.tree(SchemaResources.load(SCHEMA));
        List<String> oneOf = new ArrayList<>();
        schema.get("oneOf").forEach(ref -> oneOf.add(ref.get("$ref").asText()));
        assertThat(oneOf).hasSize(13);

        PropertyNamingStrategies.SnakeCaseStrategy snake = new PropertyNamingStrategies.SnakeCaseStrategy();
        for (Class<?> type : ExecutionEvent.class.getPermittedSubclasses()) {
            String name = type.getAnnotation(JsonTypeName.class).value();
            assertThat(oneOf).contains("#/$defs/" + name + "_event");
            JsonNode wrapper = schema.at("/$defs/" + name + "_event");
            assertThat(wrapper.get("additionalProperties").asBoolean(true)).as(name).isFalse();
            assertThat(wrapper.at("/properties/" + name + "/$ref").asText()).isEqualTo("#/$defs/" + name);

            JsonNode body = schema.at("/$defs/" + name);
            Set<String> properties = new LinkedHashSet<>();
            body.get("properties").fieldNames().forEachRemaining(properties::add);
            List<RecordComponent> components = Arrays.asList(type.getRecordComponents());
            assertThat(properties).as(name).containsExactlyElementsOf(
                    components.stream().map(c -> snake.translate(c.getName())).toList());

            Set<String> required = new LinkedHashSet<>();
            body.get("required").forEach(r -> required.add(r.asText()));
            assertThat(properties).as(name).containsAll(required).contains("execution_id");
            assertThat(required).as(name).contains("execution_id")
                    .containsAll(components.stream().filter(c -> c.getType().isPrimitive())
                            .map(c -> snake.translate(c.getName())).toList());
            properties.stream().filter(p -> p.endsWith("_at") || p.equals("timestamp")).forEach(p ->
                    assertThat(body.at("/properties/" + p + "/format").asText()).as(name + "." + p)
                            .isEqualTo("date-time"));
        }
    }

    @Test
    void theSchemaIsAValidDraft202012Schema() {
        assertThat(SchemaValidation.metaSchema().validate(Json.tree(SchemaResources.load(SCHEMA)))).isEmpty();
    }

    private static List<String> typeNames() {
        return Arrays.stream(ExecutionEvent.class.getPermittedSubclasses())
                .map(c -> c.getAnnotation(JsonTypeName.class).value()).toList();
    }
}
