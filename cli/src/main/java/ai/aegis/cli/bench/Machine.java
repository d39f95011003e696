package ai.aegis.cli.bench;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Version;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.httpclient5.ApacheDockerHttpClient;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The machine a benchmark ran on, read from {@code /proc} (Linux) and the JVM; the Docker engine's version from its
 * API when Docker was measured.
 *
 * @param loadAverage the 1/5/15-minute load when the benchmark started: other work on the host skews the figures
 */
public record Machine(int processors, String cpuModel, String memory, String kernel, String os, String jdk,
                      String loadAverage, String dockerEngine) {

    static Machine describe(String dockerHost) {
        return new Machine(Runtime.getRuntime().availableProcessors(),
                line(Path.of("/proc/cpuinfo"), "model name").map(Machine::afterColon).orElse("unknown"),
                line(Path.of("/proc/meminfo"), "MemTotal").map(Machine::memory).orElse("unknown"),
                read(Path.of("/proc/sys/kernel/osrelease")).orElse(System.getProperty("os.version")),
                line(Path.of("/etc/os-release"), "PRETTY_NAME=").map(s -> s.substring(12).replace("\"", ""))
                        .orElse(System.getProperty("os.name")),
                System.getProperty("java.vm.vendor") + " " + System.getProperty("java.vm.name") + " "
                        + Runtime.version(),
                loadAverageNow(),
                dockerHost == null ? null : dockerVersion(dockerHost));
    }

    /** The 1, 5 and 15-minute load averages now. */
    static String loadAverageNow() {
        return read(Path.of("/proc/loadavg")).map(s -> String.join(" ", List.of(s.split(" ")).subList(0, 3)))
                .orElse("unknown");
    }

    /** "Docker Engine 20.10.24 (API 1.41, containerd ...)" as the engine reports itself. */
    static String dockerVersion(String dockerHost) {
        DockerClientConfig config = DefaultDockerClientConfig.createDefaultConfigBuilder().withDockerHost(dockerHost)
                .withDockerTlsVerify(false).build();
        ApacheDockerHttpClient http = new ApacheDockerHttpClient.Builder().dockerHost(config.getDockerHost())
                .connectionTimeout(Duration.ofSeconds(5)).responseTimeout(Duration.ofSeconds(5)).build();
        try (DockerClient client = DockerClientImpl.getInstance(config, http)) {
            Version v = client.versionCmd().exec();
            return "Docker Engine " + v.getVersion() + " (API " + v.getApiVersion() + ", " + v.getOperatingSystem()
                    + "/" + v.getArch() + ")";
        } catch (Exception e) {
            return "unknown (" + e.getMessage() + ")";
        }
    }

    private static String memory(String memTotal) {
        String kb = afterColon(memTotal).replace("kB", "").trim();
        try {
            return String.format("%.1f GiB", Long.parseLong(kb) / 1024.0 / 1024.0);
        } catch (NumberFormatException e) {
            return afterColon(memTotal);
        }
    }

    private static String afterColon(String s) {
        return s.substring(s.indexOf(':') + 1).trim();
    }

    private static Optional<String> line(Path file, String prefix) {
        try (var lines = Files.lines(file)) {
            return lines.filter(l -> l.startsWith(prefix)).findFirst();
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    private static Optional<String> read(Path file) {
        try {
            return Optional.of(Files.readString(file).trim());
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
