package ai.aegis.worker;

import ai.aegis.worker.runtime.bubblewrap.BubblewrapRuntimeConfig;
import ai.aegis.worker.runtime.docker.DockerRuntimeConfig;
import ai.aegis.worker.runtime.docker.RuntimeRegistry;
import io.helidon.config.Config;

import java.nio.file.Path;
import java.time.Duration;

/**
 * The worker's settings ({@code aegis.worker.*}), defaults in one place.
 *
 * @param groupId                    consumer group of all workers
 * @param concurrency                executions one worker runs at once
 * @param internalHost               the internal listener (dispatch gateway) binds here; never the public port
 * @param internalPort               0 picks a free port
 * @param runtime                    {@code auto} or a runtime name ({@code process})
 * @param allowUnsafeProcessRuntime  the process runtime does not isolate: it must be allowed explicitly
 * @param pythonCommand              interpreter that runs {@code bootstrap.py}
 * @param maxOutputBytes             cap of captured sandbox and command output
 * @param workDir                    where sandboxes' workspaces are created
 * @param failoverTimeout            how long the group waits for a silent worker before its unfinished executions
 *                                   run elsewhere (the consumer session timeout)
 */
public record WorkerConfig(String groupId, int concurrency, String internalHost, int internalPort,
                           String runtime, boolean allowUnsafeProcessRuntime,
                           String pythonCommand, long maxOutputBytes, Path workDir, Duration failoverTimeout,
                           DockerRuntimeConfig docker, BubblewrapRuntimeConfig bubblewrap) {

    public static final Duration DEFAULT_FAILOVER_TIMEOUT = Duration.ofSeconds(45);

    public static final String DEFAULT_GROUP = "aegis-execution-workers";
    public static final int DEFAULT_CONCURRENCY = 4;
    public static final String DEFAULT_INTERNAL_HOST = "127.0.0.1";
    public static final int DEFAULT_INTERNAL_PORT = 8081;
    public static final long DEFAULT_MAX_OUTPUT_BYTES = 512 * 1024;

    public static WorkerConfig from(Config aegis) {
        Config w = aegis.get("worker");
        return new WorkerConfig(
                w.get("group-id").asString().orElse(DEFAULT_GROUP),
                w.get("concurrency").asInt().orElse(DEFAULT_CONCURRENCY),
                w.get("internal-host").asString().orElse(DEFAULT_INTERNAL_HOST),
                w.get("internal-port").asInt().orElse(DEFAULT_INTERNAL_PORT),
                w.get("runtime").asString().orElse("auto"),
                w.get("allow-unsafe-process-runtime").asBoolean().orElse(false),
                w.get("python").asString().orElse("/usr/bin/python3"),
                w.get("max-output-bytes").asLong().orElse(DEFAULT_MAX_OUTPUT_BYTES),
                Path.of(w.get("work-dir").asString().orElse(System.getProperty("java.io.tmpdir"))),
                Duration.ofMillis(w.get("failover-timeout-ms").asLong().orElse(DEFAULT_FAILOVER_TIMEOUT.toMillis())),
                docker(w.get("docker"), w),
                new BubblewrapRuntimeConfig(w.get("bubblewrap.path").asString().map(Path::of).orElse(null),
                        w.get("work-dir").asString().map(Path::of).orElse(null),
                        w.get("python").asString().map(Path::of).orElse(null)));
    }

    /**
     * {@code aegis.worker.docker}: host (default DOCKER_HOST), read-only-binds (list of host:container:ro),
     * runtime-registry (file mapping language/version to images), user (non-root, default 1000:1000),
     * default-image, python (interpreter inside the container, default {@code python3} through its PATH).
     */
    private static DockerRuntimeConfig docker(Config d, Config w) {
        RuntimeRegistry registry;
        try {
            registry = d.get("runtime-registry").asString().isPresent()
                    ? RuntimeRegistry.load(Path.of(d.get("runtime-registry").asString().get()))
                    : RuntimeRegistry.builtIn();
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("cannot read aegis.worker.docker.runtime-registry: " + e.getMessage(), e);
        }
        java.util.List<String> binds = d.get("read-only-binds").asList(String.class)
                .or(() -> d.get("read-only-binds").asString().map(s -> java.util.Arrays.stream(s.split(","))
                        .map(String::trim).filter(x -> !x.isEmpty()).toList()))
                .orElse(java.util.List.of());
        return new DockerRuntimeConfig(d.get("host").asString().orElse(null), binds, registry,
                d.get("user").asString().orElse(null), null,
                w.get("work-dir").asString().map(p -> Path.of(p, "aegis-docker")).orElse(null),
                d.get("default-image").asString().orElse(null), d.get("python").asString().orElse(null), 0);
    }

    public WorkerConfig withInternalPort(int port) {
        return new WorkerConfig(groupId, concurrency, internalHost, port, runtime,
                allowUnsafeProcessRuntime, pythonCommand, maxOutputBytes, workDir, failoverTimeout, docker,
                bubblewrap);
    }

    public WorkerConfig withAllowUnsafeProcessRuntime(boolean allow) {
        return new WorkerConfig(groupId, concurrency, internalHost, internalPort, runtime, allow,
                pythonCommand, maxOutputBytes, workDir, failoverTimeout, docker, bubblewrap);
    }

    public WorkerConfig withRuntime(String name) {
        return new WorkerConfig(groupId, concurrency, internalHost, internalPort, name, allowUnsafeProcessRuntime,
                pythonCommand, maxOutputBytes, workDir, failoverTimeout, docker, bubblewrap);
    }
}
