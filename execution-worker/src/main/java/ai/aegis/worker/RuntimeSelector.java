package ai.aegis.worker;

import ai.aegis.worker.runtime.ContainerRuntime;
import ai.aegis.worker.runtime.bubblewrap.BubblewrapRuntime;
import ai.aegis.worker.runtime.bubblewrap.BubblewrapRuntimeConfig;
import ai.aegis.worker.runtime.docker.DockerRuntime;
import ai.aegis.worker.runtime.docker.DockerRuntimeConfig;
import ai.aegis.worker.runtime.process.ProcessRuntime;
import ai.aegis.worker.runtime.process.ProcessRuntimeConfig;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Chooses the container runtime: the configured one, else ({@code auto}) Docker when an engine answers, else
 * bubblewrap when it works on this host. The process runtime does not isolate: a worker uses it only when allowed
 * explicitly ({@code allow-unsafe-process-runtime}); {@code aegis up} allows it as its last resort, and it warns on
 * every execution.
 */
public final class RuntimeSelector {

    private static final System.Logger LOG = System.getLogger(RuntimeSelector.class.getName());

    private RuntimeSelector() {
    }

    public static ContainerRuntime select(WorkerConfig config) {
        return switch (config.runtime()) {
            case "docker" -> docker(config).orElseThrow(() -> new IllegalStateException(
                    "the docker runtime is configured but no Docker engine answers at "
                            + config.docker().dockerHost() + " (set DOCKER_HOST or aegis.worker.docker.host)"));
            case "bubblewrap" -> {
                BubblewrapRuntimeConfig bwrap = config.bubblewrap();
                Optional<String> why = BubblewrapRuntime.unavailableReason(bwrap);
                if (why.isPresent()) {
                    throw new IllegalStateException("the bubblewrap runtime is configured but cannot run here: "
                            + why.get() + " (Debian/Ubuntu: apt-get install bubblewrap)");
                }
                yield bubblewrap(bwrap);
            }
            case "process" -> process(config);
            case "auto" -> auto(config);
            default -> throw new IllegalArgumentException("unknown container runtime '" + config.runtime()
                    + "' (available: auto, docker, bubblewrap, process)");
        };
    }

    private static ContainerRuntime auto(WorkerConfig config) {
        Optional<ContainerRuntime> docker = docker(config);
        if (docker.isPresent()) {
            return docker.get();
        }
        Optional<String> why = BubblewrapRuntime.unavailableReason(config.bubblewrap());
        if (why.isEmpty()) {
            return bubblewrap(config.bubblewrap());
        }
        LOG.log(System.Logger.Level.WARNING, "no isolating runtime: no Docker engine at "
                + config.docker().dockerHost() + ", and bubblewrap cannot run (" + why.get() + ")");
        return process(config);
    }

    /** Says at start, not at the first execution, when sandboxes cannot have a network of their own here. */
    private static ContainerRuntime bubblewrap(BubblewrapRuntimeConfig config) {
        BubblewrapRuntime.networkUnavailableReason(config).ifPresent(why -> LOG.log(System.Logger.Level.WARNING,
                "bubblewrap sandboxes cannot have a network of their own here (" + why + "): executions of agents"
                        + " that allow network will be refused"));
        return new BubblewrapRuntime(config);
    }

    private static Optional<ContainerRuntime> docker(WorkerConfig config) {
        DockerRuntimeConfig docker = config.docker();
        if (!DockerRuntime.available(docker)) {
            return Optional.empty();
        }
        return Optional.of(new DockerRuntime(docker).start()); // start() reaps what dead workers left
    }

    static ContainerRuntime process(WorkerConfig config) {
        if (!config.allowUnsafeProcessRuntime()) {
            throw new IllegalStateException("no isolating container runtime is available on this worker (no Docker "
                    + "engine, no working bubblewrap), and the process runtime (no isolation) is not allowed: install "
                    + "Docker or bubblewrap, or set aegis.worker.allow-unsafe-process-runtime=true "
                    + "(env AEGIS_WORKER_ALLOW_UNSAFE_PROCESS_RUNTIME=true) to run agents without isolation");
        }
        LOG.log(System.Logger.Level.WARNING, "using the process runtime: agents run as plain processes on this host,"
                + " WITHOUT isolation");
        return new ProcessRuntime(new ProcessRuntimeConfig(Path.of(config.pythonCommand()), config.workDir()));
    }
}
