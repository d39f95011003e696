package ai.aegis.worker.runtime;

import ai.aegis.worker.runtime.GatewayStub.Reply;
import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Checks that every runtime must pass, run against the real runtime by each runtime's own test. Public for the
 * runtime tests in sub-packages.
 */
public final class SandboxChecks {

    /** Over the kernel's 128 KiB limit of one argument or environment string. */
    public static final int LARGE_PROMPT_BYTES = 200 * 1024;

    private SandboxChecks() {
    }

    /**
     * Runs bootstrap.py with a 200 KiB prompt, an execution token and a secret manifest variable, and while the
     * sandbox waits for the gateway's answer reads the command line of every process on the host: none may hold the
     * token, the secret or the prompt, and the model must still get the whole prompt and the token.
     *
     * @param spec a spec of the runtime's test (image, limits) whose argv, env, files and socket are replaced
     */
    public static void secretsAndTheInputStayOffEveryCommandLine(ContainerRuntime runtime, SandboxSpec spec,
                                                                  Path socketDir) throws Exception {
        String token = "token-" + UUID.randomUUID();
        String secret = "secret-" + UUID.randomUUID();
        String marker = "prompt-" + UUID.randomUUID();
        String prompt = marker + " " + "x".repeat(LARGE_PROMPT_BYTES);
        List<String> leaks = new ArrayList<>();
        AtomicInteger sandboxesSeen = new AtomicInteger();
        try (GatewayStub gateway = GatewayStub.replyingAfter(request -> {
            commandLines().forEach((pid, line) -> {
                if (line.contains(BootstrapScript.FILE_NAME)) {
                    sandboxesSeen.incrementAndGet();
                }
                for (String needle : List.of(token, secret, marker)) {
                    if (line.contains(needle)) {
                        leaks.add("process " + pid + " shows " + needle.substring(0, 6) + "...: "
                                + line.substring(0, Math.min(300, line.length())));
                    }
                }
            });
        }, Reply.json(Map.of("type", "final", "content", "read it all")));
             GatewaySocket socket = GatewaySocket.open(socketDir.resolve("secrets.sock"), address(gateway),
                     runtime.gatewayClient().orElse(null))) {
            Map<String, String> env = new LinkedHashMap<>();
            env.put("AEGIS_EXECUTION_ID", spec.executionId());
            env.put("AEGIS_AGENT_ID", "agent-secrets");
            env.put("AEGIS_MODEL_ALIAS", "default");
            env.put("AEGIS_EXECUTION_TOKEN", token);
            env.put("THIRD_PARTY_API_KEY", secret);
            SandboxSpec run = spec.toBuilder()
                    .setArgv(List.of("python3", BootstrapScript.SANDBOX_PATH))
                    .setEnv(env)
                    .setFiles(Map.of(BootstrapScript.PROMPT_FILE, prompt))
                    .setDispatchSocket(socket.file())
                    .build();

            SandboxResult result = runtime.run(run, (stream, line) -> { });

            assertThat(gateway.failures()).isEmpty();
            assertThat(result.exitCode()).as(result.stderr()).isZero();
            assertThat(result.stdout()).isEqualTo("read it all");
            assertThat(gateway.requests()).hasSize(1);
            GatewayStub.Request generate = gateway.requests().getFirst();
            assertThat(generate.authorization()).isEqualTo("Bearer " + token);
            assertThat(generate.body().path("prompt").asText()).isEqualTo(prompt);
            assertThat(sandboxesSeen.get()).as("the scan saw the sandbox's bootstrap.py running").isPositive();
            assertThat(leaks).isEmpty();
        }
    }

    /** Every readable {@code /proc/<pid>/cmdline} of this host, its NULs as spaces. */
    public static Map<Long, String> commandLines() {
        Map<Long, String> lines = new LinkedHashMap<>();
        try (DirectoryStream<Path> proc = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path dir : proc) {
                try {
                    byte[] raw = Files.readAllBytes(dir.resolve("cmdline"));
                    lines.put(Long.parseLong(dir.getFileName().toString()),
                            new String(raw, StandardCharsets.UTF_8).replace('\0', ' '));
                } catch (IOException | NumberFormatException e) {
                    // the process ended meanwhile, or is not ours to read
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot list /proc", e);
        }
        return lines;
    }

    /**
     * The test engine's address ({@code DOCKER_HOST}); without one the calling test fails with what to do, unless
     * {@code -Daegis.test.docker=skip} says this machine has no engine.
     */
    public static String requireDockerHost() {
        String host = System.getenv("DOCKER_HOST");
        if (host == null || host.isBlank()) {
            if ("skip".equals(System.getProperty("aegis.test.docker"))) {
                Assumptions.abort("DOCKER_HOST is not set and -Daegis.test.docker=skip was given");
            }
            fail("DOCKER_HOST is not set: start an engine with shared/tools/agent-runtime.sh start-docker and export"
                    + " the DOCKER_HOST it prints (CI's .ci/run does), or pass -Daegis.test.docker=skip");
        }
        return host;
    }

    public static InetSocketAddress address(GatewayStub gateway) {
        URI uri = URI.create(gateway.baseUrl());
        return new InetSocketAddress(uri.getHost(), uri.getPort());
    }
}
