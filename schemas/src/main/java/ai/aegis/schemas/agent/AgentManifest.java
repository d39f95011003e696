package ai.aegis.schemas.agent;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * An agent manifest ({@code apiVersion: 100monkeys.ai/v1}, {@code kind: Agent}) after validation, with every
 * default applied. Built only by {@link AgentManifests}, which names the offending field when input is invalid.
 */
public record AgentManifest(Metadata metadata, Runtime runtime, Task task, Execution execution, Security security,
                            List<String> tools, Map<String, String> env) {

    public static final String API_VERSION = "100monkeys.ai/v1";
    public static final String KIND = "Agent";

    public record Metadata(String name, String version, String description, List<String> tags,
                           Map<String, String> labels) {
    }

    /**
     * @param image     a fully qualified image, or null when {@code language}/{@code version} choose one
     * @param isolation inherit | docker | bubblewrap | process
     * @param model     the model alias the agent talks to
     */
    public record Runtime(String language, String version, String image, String imagePullPolicy, String isolation,
                          String model) {
    }

    /** @param promptTemplate null means the default template ({@link AgentManifests#DEFAULT_PROMPT_TEMPLATE}) */
    public record Task(String instruction, String promptTemplate) {
    }

    /**
     * @param maxIterations    refinement attempts, 1..20 (default 5)
     * @param iterationTimeout per-iteration limit (default 300 s)
     * @param llmTimeout       the sandbox's timeout for one call to the dispatch gateway (default 300 s)
     */
    public record Execution(String mode, int maxIterations, Duration iterationTimeout, Duration llmTimeout,
                            List<Map<String, Object>> validation) {
    }

    /**
     * @param cpuMillicores   CPU limit in millicores (default 1000)
     * @param memoryBytes     memory limit in bytes (default 512 MiB)
     * @param timeout         overall execution limit (default 1800 s)
     * @param securityContext {@code spec.security_context}, the SMCP context of its tool calls; null: the node's
     *                        default
     */
    public record Security(String networkMode, List<String> networkAllowlist, long cpuMillicores, long memoryBytes,
                           long diskBytes, Duration timeout, String securityContext) {

        public boolean networkAllowed() {
            return "allow".equals(networkMode);
        }
    }
}
