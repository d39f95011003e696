package ai.aegis.schemas.workflow;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A workflow manifest ({@code apiVersion: 100monkeys.ai/v1}, {@code kind: Workflow}) after validation, with every
 * default applied: a finite-state machine whose states run agents, ask people or run containers. Built only by
 * {@link WorkflowManifests}, which names the offending field when input is invalid.
 */
public record WorkflowManifest(Metadata metadata, Spec spec) {

    public static final String API_VERSION = "100monkeys.ai/v1";
    public static final String KIND = "Workflow";

    /** State kinds, the {@code kind:} tag of a state. */
    public static final String AGENT = "Agent";
    public static final String HUMAN = "Human";
    public static final String CONTAINER_RUN = "ContainerRun";

    public String name() {
        return metadata.name();
    }

    /** @return the state, or empty when no state has that name */
    public Optional<State> state(String name) {
        return Optional.ofNullable(spec.states().get(name));
    }

    /** The agents the workflow names (names or ids), for the ingress to check against its registry. */
    public List<String> agentReferences() {
        LinkedHashSet<String> refs = new LinkedHashSet<>();
        spec.states().values().forEach(s -> {
            if (s instanceof AgentState a) {
                refs.add(a.agent());
            }
        });
        return new ArrayList<>(refs);
    }

    /** @param version a string even when the YAML said {@code 1.0}; {@code "1.0.0"} when absent */
    public record Metadata(String name, String version, String description, Map<String, String> labels) {
    }

    /**
     * @param context  the seed of the blackboard's {@code context} (an object, empty when absent)
     * @param maxSteps state entries allowed per run, 1..1000 (default 1000); a loop that never exits fails the run
     * @param states   in manifest order
     */
    public record Spec(String initialState, JsonNode context, int maxSteps, Map<String, State> states) {
    }

    /** One state of the machine; {@code transitions} empty means the state is terminal. */
    public sealed interface State permits AgentState, HumanState, ContainerRunState {

        String name();

        /** {@code Agent}, {@code Human} or {@code ContainerRun}. */
        String kind();

        List<Transition> transitions();

        default boolean terminal() {
            return transitions().isEmpty();
        }
    }

    /**
     * Runs an agent; the state ends when its execution ends.
     *
     * @param agent         the agent's name or id (resolved by the ingress, not here)
     * @param input         template of the execution's input (default {@code {{workflow.input}}})
     * @param maxIterations overrides the agent's own limit (1..20), null keeps the agent's
     */
    public record AgentState(String name, String agent, String input, Integer maxIterations,
                             List<Transition> transitions) implements State {

        @Override
        public String kind() {
            return AGENT;
        }
    }

    /**
     * Asks a person through {@code /v1/human-approvals}.
     *
     * @param prompt          template of the question shown to the approver
     * @param timeout         how long the request stays pending (default 3600 s)
     * @param defaultResponse the response taken on timeout; null means a timeout fails the workflow
     *                        ({@code human_input_timeout})
     */
    public record HumanState(String name, String prompt, Duration timeout, String defaultResponse,
                             List<Transition> transitions) implements State {

        @Override
        public String kind() {
            return HUMAN;
        }
    }

    /**
     * Runs a command in a container through the container runtime.
     *
     * @param command argv, never empty (not run through a shell)
     * @param network whether the container may reach the network (default false)
     */
    public record ContainerRunState(String name, String image, List<String> command, Map<String, String> env,
                                    Resources resources, boolean network, List<Transition> transitions)
            implements State {

        @Override
        public String kind() {
            return CONTAINER_RUN;
        }
    }

    /**
     * @param cpuMillicores default 1000
     * @param memoryBytes   default 512 MiB
     * @param timeout       default 300 s
     */
    public record Resources(long cpuMillicores, long memoryBytes, Duration timeout) {
    }

    /**
     * @param threshold score_above / score_below only, within 0..1
     * @param value     input_equals only
     * @param feedback  template rendered when the transition is taken; it becomes the {@code feedback} of the state
     *                  left ({@code {{STATE.feedback}}}), see {@link WorkflowTemplates}
     */
    public record Transition(TransitionCondition condition, String target, Double threshold, String value,
                             String feedback) {
    }
}
