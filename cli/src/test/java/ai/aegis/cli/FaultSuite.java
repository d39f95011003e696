package ai.aegis.cli;

import ai.aegis.cli.AegisSystem.Service;
import ai.aegis.schemas.execution.ExecutionRequest;
import ai.aegis.schemas.json.Json;
import ai.aegis.schemas.workflow.WorkflowEvent;
import ai.aegis.testing.BrokerCluster;
import ai.aegis.worker.llm.scripted.ScriptStep;
import org.awaitility.core.ConditionTimeoutException;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * What the cases of the fault suite share. A case is a JUnit test tagged {@value #TAG} (run by {@code mvn -Pfault},
 * as {@code .ci/run} does): it takes {@code SharedTestCluster.get()} (three broker processes, healed before each
 * case), composes the whole system on it with {@link #system}, puts it under a {@link SteadyLoad} of executions of
 * {@link #deployAgent}'s agent, inflicts its fault (a broker killed, stopped or frozen; a service process killed),
 * and then checks the ledger: every execution the API accepted has ended, with exactly one terminal event on the
 * topic ({@link #assertEachEndedExactlyOnce}), and no request went unanswered ({@link #assertAnsweredInTime}).
 * It prints its counts through {@link #report}, which {@code .ci/run} shows.
 */
final class FaultSuite {

    static final String TAG = "fault";
    /** The model alias of the load's agent: one tool call that takes a second, then the answer. */
    static final String MODEL = "steady";
    static final String TOOL_COMMAND = "sleep 1 && echo worked";
    static final String REPLY = "done: {{last_tool_stdout}}";
    static final Map<String, List<ScriptStep>> SCRIPTS = Map.of(MODEL, List.of(
            ScriptStep.toolCall("cmd.run", Json.MAPPER.createObjectNode().put("command", TOOL_COMMAND)),
            ScriptStep.reply(REPLY)));
    /** The load's agent. */
    static final String AGENT = "steady";
    /** A bound for the backlog of a case to drain after its fault, on a loaded two-core machine. */
    static final Duration END_WITHIN = Duration.ofSeconds(240);

    /** A workflow of one Agent step running the load's agent. */
    static final String WORKFLOW_NAME = "steady-flow";
    static final String WORKFLOW = """
            apiVersion: 100monkeys.ai/v1
            kind: Workflow
            metadata: {name: %s, version: "1.0.0"}
            spec:
              initial_state: work
              states:
                work:
                  kind: Agent
                  agent: %s
                  input: "{{workflow.input}}"
                  transitions: []
            """.formatted(WORKFLOW_NAME, AGENT);

    private FaultSuite() {
    }

    /**
     * The system as {@code aegis up} composes it, on {@code cluster} with topics of its own (created by the system
     * with the replication it resolves there: 3), the process runtime and the scripted {@link #MODEL}.
     */
    static TestSystem system(Path dataDir, BrokerCluster cluster, Set<Service> services, Map<String, String> settings)
            throws IOException {
        Map<String, String> config = new HashMap<>(Map.of(
                "aegis.kafka.bootstrap-servers", cluster.bootstrapServers(),
                "aegis.worker.concurrency", "8"));
        config.putAll(settings);
        return new TestSystem(dataDir, SCRIPTS, null, services, config);
    }

    /** Deploys the load's agent and returns its id. */
    static String deployAgent(TestSystem system) throws Exception {
        return system.deploy(TestSystem.agent(AGENT, MODEL, 1));
    }

    /** Every POST was answered, within {@link SteadyLoad#HANG}, with 200 or 503 (never anything else). */
    static void assertAnsweredInTime(Collection<SteadyLoad.Attempt> attempts) {
        assertThat(attempts).allSatisfy(a -> {
            assertThat(a.status()).as("answer to a POST: %s", a).isIn(200, 503);
            assertThat(a.took()).as("time to answer: %s", a).isLessThan(SteadyLoad.HANG);
            if (a.status() == 503) {
                assertThat(Json.tree(a.body()).path("error").asText()).as(a.body()).isEqualTo("unavailable");
            }
        });
    }

    /**
     * Waits until every accepted execution has a terminal event on the events topic, then checks that each has
     * exactly one, and that the API shows it ended.
     *
     * @return how many ended how ({@code execution_completed -> 40})
     */
    static Map<String, Integer> assertEachEndedExactlyOnce(TestSystem system, Collection<String> accepted)
            throws Exception {
        Map<String, Integer> counts = assertExactlyOneTerminal("execution", accepted,
                () -> TopicLog.executionTerminals(system.kafka, accepted));
        for (String id : accepted) {
            assertThat(Json.tree(system.get("/v1/executions/" + id).body()).path("status").asText()).as(id)
                    .isIn("completed", "failed", "cancelled", "timed_out");
        }
        return counts;
    }

    /** The terminal events' types of each id, as a topic holds them now. */
    interface Terminals {
        Map<String, List<String>> read() throws Exception;
    }

    /**
     * Waits (up to {@link #END_WITHIN}) until each of {@code ids} has a terminal event, then checks it has exactly
     * one.
     *
     * @return how many ended how
     */
    static Map<String, Integer> assertExactlyOneTerminal(String what, Collection<String> ids, Terminals terminals) {
        AtomicReference<Map<String, List<String>>> last = new AtomicReference<>();
        try {
            await().atMost(END_WITHIN).pollInterval(Duration.ofSeconds(1)).until(() -> {
                last.set(terminals.read());
                return ids.stream().allMatch(id -> !last.get().getOrDefault(id, List.of()).isEmpty());
            });
        } catch (ConditionTimeoutException e) {
            List<String> open = ids.stream().filter(id -> last.get() == null
                    || last.get().getOrDefault(id, List.of()).isEmpty()).toList();
            throw new AssertionError(open.size() + " accepted " + what + " ids have not ended within " + END_WITHIN
                    + ": " + open, e);
        }
        Map<String, List<String>> notExactlyOnce = new TreeMap<>();
        Map<String, Integer> counts = new TreeMap<>();
        for (String id : ids) {
            List<String> types = last.get().get(id);
            if (types.size() != 1) {
                notExactlyOnce.put(id, types);
            }
            counts.merge(types.getFirst(), 1, Integer::sum);
        }
        assertThat(notExactlyOnce).as("accepted %s ids without exactly one terminal event", what).isEmpty();
        return counts;
    }

    /** No service died of the fault: the workflow engine and the approval service (Kafka Streams) still run. */
    static void assertStreamsHealthy(TestSystem system) {
        assertThat(system.engine.healthy()).as("workflow engine").isTrue();
        assertThat(system.approvals.healthy()).as("approval service").isTrue();
    }

    /** Prints one line of a case's counts, {@code fault-suite | <case> | key=value ...}, which .ci/run shows. */
    static void report(String name, Map<String, ?> counts) {
        StringBuilder line = new StringBuilder("fault-suite | ").append(name).append(" |");
        new LinkedHashMap<>(counts).forEach((k, v) -> line.append(' ').append(k).append('=').append(v));
        System.out.println(line);
    }

    /** The terminal workflow events of each run, as the workflow events topic holds them. */
    static Map<String, List<String>> runTerminals(TestSystem system, List<String> runs) {
        Set<String> wanted = new HashSet<>(runs);
        Map<String, List<String>> out = new HashMap<>();
        TopicLog.read(system.kafka, system.kafka.topics().workflowEvents().name(), WorkflowEvent.class,
                wanted::contains).forEach((run, events) -> {
                    List<String> types = events.stream().filter(WorkflowEvent::terminal).map(WorkflowEvent::type)
                            .toList();
                    if (!types.isEmpty()) {
                        out.put(run, types);
                    }
                });
        return out;
    }

    /**
     * Checks that the one step of each of {@code runs} was requested exactly once (a transaction the engine's crash cut
     * short was aborted, and no reader sees its request).
     *
     * @return the step's execution id of each run, in the order of {@code runs}
     */
    static List<String> assertEachStepRequestedOnce(TestSystem system, List<String> runs) {
        Map<String, List<String>> requests = stepRequests(system, new HashSet<>(runs));
        Map<String, List<String>> notOnce = new TreeMap<>();
        runs.forEach(run -> {
            if (requests.getOrDefault(run, List.of()).size() != 1) {
                notOnce.put(run, requests.getOrDefault(run, List.of()));
            }
        });
        assertThat(notOnce).as("runs whose step was not requested exactly once").isEmpty();
        return runs.stream().map(run -> requests.get(run).getFirst()).toList();
    }

    /** The execution ids the committed requests name for each run's steps. */
    private static Map<String, List<String>> stepRequests(TestSystem system, Set<String> runs) {
        Map<String, List<String>> byRun = new HashMap<>();
        TopicLog.read(system.kafka, system.kafka.topics().executionRequests().name(), ExecutionRequest.class,
                key -> true).values().stream().flatMap(List::stream)
                .filter(r -> r.workflow() != null && runs.contains(r.workflow().workflowExecutionId()))
                .forEach(r -> byRun.computeIfAbsent(r.workflow().workflowExecutionId(), k -> new ArrayList<>())
                        .add(r.executionId()));
        return byRun;
    }
}
