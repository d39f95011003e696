package ai.aegis.worker.runtime;

import ai.aegis.worker.runtime.bubblewrap.BubblewrapRuntime;
import ai.aegis.worker.runtime.bubblewrap.BubblewrapRuntimeConfig;
import ai.aegis.worker.runtime.docker.DockerRuntime;
import ai.aegis.worker.runtime.docker.DockerRuntimeConfig;
import ai.aegis.worker.runtime.process.ProcessRuntime;
import ai.aegis.worker.runtime.process.ProcessRuntimeConfig;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A worker's JVM reduced to its sandbox: runs one long sandbox on the named runtime and prints
 * {@value #STARTED} once the sandbox runs, for {@link WorkerDeathTest} to kill it then.
 *
 * <p>Arguments: runtime ({@code process}, {@code bubblewrap}, {@code docker}), a work directory, and a marker that
 * the sandbox's processes carry in their arguments (and a Docker container as its execution id).
 */
public final class SandboxHost {

    public static final String STARTED = "SANDBOX-STARTED";
    /** The test engine's skeleton image, with the host's /usr bound in for python3. */
    public static final String DOCKER_IMAGE = "agent-base:local";

    /** Forks a child that leaves the sandbox's session, then sleeps in both, so the end must reach more than one. */
    private static final String SLEEPER = String.join("\n",
            "import os, sys, time",
            "if os.fork() == 0:",
            "    os.setsid()",
            "    time.sleep(600)",
            "    sys.exit(0)",
            "print('started', flush=True)",
            "time.sleep(600)");

    private SandboxHost() {
    }

    public static void main(String[] args) throws Exception {
        String marker = args[2];
        ContainerRuntime runtime = runtime(args[0], Path.of(args[1]));
        SandboxSpec spec = SandboxSpec.newBuilder()
                .setExecutionId(marker)
                .setImage(DOCKER_IMAGE)
                .setArgv(List.of("python3", "-c", SLEEPER, marker))
                .setTimeout(Duration.ofMinutes(15))
                .setMaxOutputBytes(1 << 16)
                .setMemoryBytes(256L << 20)
                .build();
        runtime.run(spec, (stream, line) -> {
            if (line.equals("started")) {
                System.out.println(STARTED);
                System.out.flush();
            }
        });
    }

    /** The runtime {@code name} with its test configuration, its run directories under {@code dir}. */
    public static ContainerRuntime runtime(String name, Path dir) {
        return switch (name) {
            case "process" -> new ProcessRuntime(new ProcessRuntimeConfig(null, dir));
            case "bubblewrap" -> new BubblewrapRuntime(BubblewrapRuntimeConfig.under(dir));
            case "docker" -> new DockerRuntime(dockerConfig(dir));
            default -> throw new IllegalArgumentException("unknown runtime " + name);
        };
    }

    public static DockerRuntimeConfig dockerConfig(Path dir) {
        return new DockerRuntimeConfig(System.getenv("DOCKER_HOST"),
                List.of("/usr:/usr:ro", "/etc/alternatives:/etc/alternatives:ro"), null, null, null, dir,
                DOCKER_IMAGE, null);
    }
}
