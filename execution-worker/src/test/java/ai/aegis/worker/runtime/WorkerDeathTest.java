package ai.aegis.worker.runtime;

import ai.aegis.worker.runtime.docker.DockerRuntime;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.httpclient5.ApacheDockerHttpClient;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A sandbox never outlives its worker: a worker's JVM ({@link SandboxHost}, a separate process) runs a sandbox whose
 * agent also detached a process into a session of its own, and is killed with SIGKILL, which runs no clean-up in it.
 * Nothing of the sandbox may be left on the host: at once for the process and bubblewrap runtimes, and for Docker
 * after the next worker's start (its reaping), since only the engine could end a container.
 */
class WorkerDeathTest {

    @TempDir
    Path dir;

    private final List<String> hostOutput = new CopyOnWriteArrayList<>();

    @ParameterizedTest
    @ValueSource(strings = {"process", "bubblewrap", "docker"})
    void killingTheWorkersJvmLeavesNoSandboxBehind(String runtime) throws Exception {
        requireRuntime(runtime);
        String marker = "aegis-death-" + UUID.randomUUID();
        Process host = startHost(runtime, marker);
        try {
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                assertThat(host.isAlive()).as(() -> "the sandbox host runs; its output: " + hostOutput).isTrue();
                return hostOutput.contains(SandboxHost.STARTED);
            });
            assertThat(processesWith(marker)).as("the agent and its detached child, seen from the host")
                    .isGreaterThanOrEqualTo(2);

            host.destroyForcibly(); // SIGKILL
            assertThat(host.waitFor(30, TimeUnit.SECONDS)).isTrue();

            if (runtime.equals("docker")) {
                try (DockerClient engine = engine()) {
                    assertThat(containersOf(engine, marker)).as("a container only the engine can end").hasSize(1);
                    try (DockerRuntime next = new DockerRuntime(SandboxHost.dockerConfig(dir.resolve("next")))) {
                        next.start();
                    }
                    assertThat(containersOf(engine, marker)).as("reaped by the next worker's start").isEmpty();
                }
            }
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                    assertThat(processesWith(marker)).as("processes of the dead worker's sandbox").isZero());
        } finally {
            host.destroyForcibly();
        }
    }

    private Process startHost(String runtime, String marker) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        ProcessBuilder builder = new ProcessBuilder(java, "-Xmx256m", "-cp", classpath, SandboxHost.class.getName(),
                runtime, dir.resolve("work").toString(), marker).redirectErrorStream(true);
        builder.environment().put("CLASSPATH", ""); // the class path is given above, never inherited
        Process host = builder.start();
        Thread.ofVirtual().start(() -> {
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(host.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                    hostOutput.add(line);
                }
            } catch (IOException e) {
                // the host was killed: its output ends here
            }
        });
        return host;
    }

    private static long processesWith(String marker) {
        return SandboxChecks.commandLines().values().stream().filter(line -> line.contains(marker)).count();
    }

    private static void requireRuntime(String runtime) {
        if (runtime.equals("bubblewrap") && "skip".equals(System.getProperty("aegis.test.bwrap"))) {
            Assumptions.abort("bubblewrap tests skipped by -Daegis.test.bwrap=skip");
        }
        if (runtime.equals("docker")) {
            SandboxChecks.requireDockerHost();
        }
    }

    private static DockerClient engine() {
        String host = System.getenv("DOCKER_HOST");
        return DockerClientImpl.getInstance(DefaultDockerClientConfig.createDefaultConfigBuilder()
                .withDockerHost(host).withDockerTlsVerify(false).build(),
                new ApacheDockerHttpClient.Builder().dockerHost(URI.create(host)).build());
    }

    private static List<Container> containersOf(DockerClient engine, String marker) {
        return engine.listContainersCmd().withShowAll(true)
                .withLabelFilter(Map.of("aegis.execution_id", marker)).exec();
    }
}
