package ai.aegis.worker;

import ai.aegis.worker.console.ConsoleConfig;
import ai.aegis.worker.smcp.SmcpConfig;
import ai.aegis.worker.runtime.bubblewrap.BubblewrapRuntimeConfig;
import ai.aegis.worker.runtime.docker.DockerRuntimeConfig;
import ai.aegis.worker.runtime.docker.RuntimeRegistry;
import io.helidon.config.Config;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The worker's settings ({@code aegis.worker.*}). The defaults are written once, in {@link Builder}; {@link #from}
 * reads the configuration through it, and {@link #toBuilder()} changes a few settings of an existing one.
 *
 * @param groupId                    the share group of all workers (a share group's id cannot be a consumer group's)
 * @param concurrency                executions one worker runs at once (one share consumer each)
 * @param internalHost               the internal listener (dispatch gateway) binds here; never the public port
 * @param internalPort               0 picks a free port
 * @param runtime                    {@code auto} or a runtime name ({@code docker}, {@code bubblewrap}, {@code process})
 * @param allowUnsafeProcessRuntime  the process runtime does not isolate: it must be allowed explicitly
 * @param pythonCommand              interpreter that runs {@code bootstrap.py}
 * @param maxOutputBytes             cap of captured sandbox and command output
 * @param workDir                    where sandboxes' workspaces are created
 * @param failoverTimeout            how long a silent worker holds an execution before another worker runs it
 *                                   again: the share group's acquisition lock and session timeout
 *                                   ({@code share.record.lock.duration.ms}, {@code share.session.timeout.ms}), which
 *                                   the worker sets on its group (a broker allows 45 s to 60 s for both by default).
 *                                   A running execution renews its lock every third of this
 * @param maxAttempts                how many runs an execution may have; a request delivered once more ends as
 *                                   failed (the group's delivery limit is set one above)
 * @param rememberedExecutions       how many executions the worker's view of the events topic remembers (their newest
 *                                   attempt and whether they ended), to recognise a request whose execution ended
 * @param topicInstallTimeout        how long the start waits for the topics to exist (created when missing)
 * @param agentLookupWait            how long a workflow step that names an agent waits for this worker's view of
 *                                   the agents topic to catch up before it looks the name up
 * @param shutdownGrace              how long the internal listener lets open gateway calls finish when it stops
 * @param docker                     the Docker runtime's settings ({@code aegis.worker.docker.*})
 * @param bubblewrap                 the bubblewrap runtime's settings
 * @param output                     how console output becomes records ({@code aegis.worker.output.*})
 * @param smcp                       SMCP: security contexts, MCP servers, the token key ({@code aegis.smcp.*}, read by
 *                                   the composition root, which knows the data directory)
 */
public record WorkerConfig(String groupId, int concurrency, String internalHost, int internalPort,
                           String runtime, boolean allowUnsafeProcessRuntime,
                           String pythonCommand, long maxOutputBytes, Path workDir, Duration failoverTimeout,
                           int maxAttempts, int rememberedExecutions, Duration topicInstallTimeout,
                           Duration agentLookupWait, Duration shutdownGrace,
                           DockerRuntimeConfig docker, BubblewrapRuntimeConfig bubblewrap, ConsoleConfig output,
                           SmcpConfig smcp) {

    /** Not the consumer group of earlier versions ({@code aegis-execution-workers}): a share group needs its own id. */
    public static final String DEFAULT_GROUP = "aegis-execution-share";
    public static final int DEFAULT_CONCURRENCY = 4;
    public static final String DEFAULT_INTERNAL_HOST = "127.0.0.1";
    public static final int DEFAULT_INTERNAL_PORT = 8081;
    public static final String DEFAULT_RUNTIME = "auto";
    public static final String DEFAULT_PYTHON = "/usr/bin/python3";
    public static final long DEFAULT_MAX_OUTPUT_BYTES = 512 * 1024;
    /** Kafka's default share session timeout, within its default bounds for locks (15 s to 60 s) too. */
    public static final Duration DEFAULT_FAILOVER_TIMEOUT = Duration.ofSeconds(45);
    /** Four runs, and the share group's default delivery limit (5) for the delivery that gives up. */
    public static final int DEFAULT_MAX_ATTEMPTS = 4;
    /** The broker allows a delivery limit of 2 to 10: one more than the runs. */
    public static final int MAX_MAX_ATTEMPTS = 9;
    public static final int DEFAULT_REMEMBERED_EXECUTIONS = 100_000;
    public static final Duration DEFAULT_TOPIC_INSTALL_TIMEOUT = Duration.ofSeconds(60);
    public static final Duration DEFAULT_AGENT_LOOKUP_WAIT = Duration.ofSeconds(10);
    public static final Duration DEFAULT_SHUTDOWN_GRACE = Duration.ofSeconds(1);

    public WorkerConfig {
        Objects.requireNonNull(groupId, "groupId");
        Objects.requireNonNull(internalHost, "internalHost");
        Objects.requireNonNull(runtime, "runtime");
        Objects.requireNonNull(workDir, "workDir");
        Objects.requireNonNull(output, "output");
        Objects.requireNonNull(smcp, "smcp");
        if (concurrency < 1) {
            throw new IllegalArgumentException("aegis.worker.concurrency must be at least 1 (got " + concurrency + ")");
        }
        if (maxAttempts < 1 || maxAttempts > MAX_MAX_ATTEMPTS) {
            throw new IllegalArgumentException("aegis.worker.max-attempts must be 1 to " + MAX_MAX_ATTEMPTS + " (got "
                    + maxAttempts + ")");
        }
        if (rememberedExecutions < 1) {
            throw new IllegalArgumentException("aegis.worker.remembered-executions must be at least 1 (got "
                    + rememberedExecutions + ")");
        }
        Objects.requireNonNull(failoverTimeout, "failoverTimeout");
        if (failoverTimeout.toMillis() < 1) {
            throw new IllegalArgumentException("aegis.worker.failover-timeout-ms must be positive (got "
                    + failoverTimeout.toMillis() + ")");
        }
    }

    /** Every default: the group, port and runtime of a worker that nobody configured. */
    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder(this);
    }

    /**
     * Reads {@code aegis.worker}; a missing key keeps the builder's default.
     *
     * @param aegis the {@code aegis} node
     */
    public static WorkerConfig from(Config aegis) {
        Config w = aegis.get("worker");
        Builder b = builder();
        w.get("group-id").asString().ifPresent(b::groupId);
        w.get("concurrency").asInt().ifPresent(b::concurrency);
        w.get("internal-host").asString().ifPresent(b::internalHost);
        w.get("internal-port").asInt().ifPresent(b::internalPort);
        w.get("runtime").asString().ifPresent(b::runtime);
        w.get("allow-unsafe-process-runtime").asBoolean().ifPresent(b::allowUnsafeProcessRuntime);
        w.get("python").asString().ifPresent(b::pythonCommand);
        w.get("max-output-bytes").asLong().ifPresent(b::maxOutputBytes);
        w.get("work-dir").asString().map(Path::of).ifPresent(b::workDir);
        w.get("failover-timeout-ms").asLong().map(Duration::ofMillis).ifPresent(b::failoverTimeout);
        w.get("max-attempts").asInt().ifPresent(b::maxAttempts);
        w.get("remembered-executions").asInt().ifPresent(b::rememberedExecutions);
        w.get("topic-install-timeout-ms").asLong().map(Duration::ofMillis).ifPresent(b::topicInstallTimeout);
        w.get("agent-lookup-wait-ms").asLong().map(Duration::ofMillis).ifPresent(b::agentLookupWait);
        w.get("shutdown-grace-ms").asLong().map(Duration::ofMillis).ifPresent(b::shutdownGrace);
        b.output(ConsoleConfig.from(w.get("output")));
        Path workDir = b.workDir;
        b.docker(docker(w.get("docker"), workDir));
        b.bubblewrap(new BubblewrapRuntimeConfig(w.get("bubblewrap.path").asString().map(Path::of).orElse(null),
                workDir, w.get("python").asString().map(Path::of).orElse(null),
                w.get("bubblewrap.slirp4netns").asString().map(Path::of).orElse(null)));
        return b.build();
    }

    /**
     * {@code aegis.worker.docker}: host (default DOCKER_HOST), read-only-binds (list of host:container:ro),
     * runtime-registry (file mapping language/version to images), user (non-root, default 1000:1000),
     * default-image, python (interpreter inside the container, default {@code python3} through its PATH).
     */
    private static DockerRuntimeConfig docker(Config d, Path workDir) {
        RuntimeRegistry registry;
        try {
            registry = d.get("runtime-registry").asString().isPresent()
                    ? RuntimeRegistry.load(Path.of(d.get("runtime-registry").asString().get()))
                    : RuntimeRegistry.builtIn();
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read aegis.worker.docker.runtime-registry: " + e.getMessage(), e);
        }
        List<String> binds = d.get("read-only-binds").asList(String.class)
                .or(() -> d.get("read-only-binds").asString().map(s -> Arrays.stream(s.split(","))
                        .map(String::trim).filter(x -> !x.isEmpty()).toList()))
                .orElse(List.of());
        return new DockerRuntimeConfig(d.get("host").asString().orElse(null), binds, registry,
                d.get("user").asString().orElse(null), null,
                workDir.resolve("aegis-docker"),
                d.get("default-image").asString().orElse(null), d.get("python").asString().orElse(null));
    }

    /** Builds a {@link WorkerConfig}; starts from the defaults, or from an existing config. */
    public static final class Builder {
        private String groupId = DEFAULT_GROUP;
        private int concurrency = DEFAULT_CONCURRENCY;
        private String internalHost = DEFAULT_INTERNAL_HOST;
        private int internalPort = DEFAULT_INTERNAL_PORT;
        private String runtime = DEFAULT_RUNTIME;
        private boolean allowUnsafeProcessRuntime;
        private String pythonCommand = DEFAULT_PYTHON;
        private long maxOutputBytes = DEFAULT_MAX_OUTPUT_BYTES;
        private Path workDir = Path.of(System.getProperty("java.io.tmpdir"));
        private Duration failoverTimeout = DEFAULT_FAILOVER_TIMEOUT;
        private int maxAttempts = DEFAULT_MAX_ATTEMPTS;
        private int rememberedExecutions = DEFAULT_REMEMBERED_EXECUTIONS;
        private Duration topicInstallTimeout = DEFAULT_TOPIC_INSTALL_TIMEOUT;
        private Duration agentLookupWait = DEFAULT_AGENT_LOOKUP_WAIT;
        private Duration shutdownGrace = DEFAULT_SHUTDOWN_GRACE;
        private DockerRuntimeConfig docker;
        private BubblewrapRuntimeConfig bubblewrap;
        private ConsoleConfig output = ConsoleConfig.defaults();
        private SmcpConfig smcp = SmcpConfig.builder().build();

        private Builder() {
        }

        private Builder(WorkerConfig c) {
            groupId = c.groupId;
            concurrency = c.concurrency;
            internalHost = c.internalHost;
            internalPort = c.internalPort;
            runtime = c.runtime;
            allowUnsafeProcessRuntime = c.allowUnsafeProcessRuntime;
            pythonCommand = c.pythonCommand;
            maxOutputBytes = c.maxOutputBytes;
            workDir = c.workDir;
            failoverTimeout = c.failoverTimeout;
            maxAttempts = c.maxAttempts;
            rememberedExecutions = c.rememberedExecutions;
            topicInstallTimeout = c.topicInstallTimeout;
            agentLookupWait = c.agentLookupWait;
            shutdownGrace = c.shutdownGrace;
            docker = c.docker;
            bubblewrap = c.bubblewrap;
            output = c.output;
            smcp = c.smcp;
        }

        public Builder groupId(String v) {
            groupId = v;
            return this;
        }

        public Builder concurrency(int v) {
            concurrency = v;
            return this;
        }

        public Builder internalHost(String v) {
            internalHost = v;
            return this;
        }

        public Builder internalPort(int v) {
            internalPort = v;
            return this;
        }

        public Builder runtime(String v) {
            runtime = v;
            return this;
        }

        public Builder allowUnsafeProcessRuntime(boolean v) {
            allowUnsafeProcessRuntime = v;
            return this;
        }

        public Builder pythonCommand(String v) {
            pythonCommand = v;
            return this;
        }

        public Builder maxOutputBytes(long v) {
            maxOutputBytes = v;
            return this;
        }

        public Builder workDir(Path v) {
            workDir = v;
            return this;
        }

        public Builder failoverTimeout(Duration v) {
            failoverTimeout = v;
            return this;
        }

        public Builder maxAttempts(int v) {
            maxAttempts = v;
            return this;
        }

        public Builder rememberedExecutions(int v) {
            rememberedExecutions = v;
            return this;
        }

        public Builder topicInstallTimeout(Duration v) {
            topicInstallTimeout = v;
            return this;
        }

        public Builder agentLookupWait(Duration v) {
            agentLookupWait = v;
            return this;
        }

        public Builder shutdownGrace(Duration v) {
            shutdownGrace = v;
            return this;
        }

        public Builder docker(DockerRuntimeConfig v) {
            docker = v;
            return this;
        }

        public Builder bubblewrap(BubblewrapRuntimeConfig v) {
            bubblewrap = v;
            return this;
        }

        public Builder smcp(SmcpConfig v) {
            smcp = v;
            return this;
        }

        public Builder output(ConsoleConfig v) {
            output = v;
            return this;
        }

        /**
         * Runtimes not configured get their own defaults (DOCKER_HOST, /usr/bin/bwrap, ...), with their workspaces
         * under {@code workDir}.
         */
        public WorkerConfig build() {
            return new WorkerConfig(groupId, concurrency, internalHost, internalPort, runtime,
                    allowUnsafeProcessRuntime, pythonCommand, maxOutputBytes, workDir, failoverTimeout,
                    maxAttempts, rememberedExecutions, topicInstallTimeout, agentLookupWait, shutdownGrace,
                    docker != null ? docker : new DockerRuntimeConfig(null, null, null, null, null,
                            workDir.resolve("aegis-docker"), null, null),
                    bubblewrap != null ? bubblewrap : BubblewrapRuntimeConfig.under(workDir), output, smcp);
        }
    }
}
