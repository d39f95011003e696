package ai.aegis.worker.runtime.bubblewrap;

import ai.aegis.schemas.json.Json;
import ai.aegis.worker.runtime.BootstrapScript;
import ai.aegis.worker.runtime.GatewaySocket;
import ai.aegis.worker.runtime.GatewayStub.Reply;
import ai.aegis.worker.runtime.GatewayStub;
import ai.aegis.worker.runtime.SandboxChecks;
import ai.aegis.worker.runtime.SandboxException;
import ai.aegis.worker.runtime.SandboxResult;
import ai.aegis.worker.runtime.SandboxSpec;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

/**
 * The bubblewrap runtime against the real {@code bwrap}. Not skipped when bwrap is missing: the tests fail with the
 * reason, unless {@code -Daegis.test.bwrap=skip} says this machine cannot run them.
 */
class BubblewrapRuntimeTest {

    private static final String TOKEN = "bwrap-token-0123456789";

    @TempDir
    Path workspaces;

    @TempDir
    Path sockets;

    private final List<String> lines = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void requireBubblewrap() {
        if ("skip".equals(System.getProperty("aegis.test.bwrap"))) {
            Assumptions.abort("bubblewrap tests skipped by -Daegis.test.bwrap=skip");
        }
        BubblewrapRuntime.unavailableReason(BubblewrapRuntimeConfig.defaults()).ifPresent(reason ->
                fail("bubblewrap cannot run sandboxes on this machine: " + reason
                        + ". Install the Debian package bubblewrap (and allow unprivileged user namespaces),"
                        + " or pass -Daegis.test.bwrap=skip to skip these tests."));
    }

    @Test
    void describesItselfAndProbesAvailability() {
        BubblewrapRuntime runtime = runtime();
        assertThat(runtime.name()).isEqualTo("bubblewrap");
        assertThat(runtime.isolates()).isTrue();
        assertThat(BubblewrapRuntime.available(BubblewrapRuntimeConfig.defaults())).isTrue();
        BubblewrapRuntimeConfig missing = new BubblewrapRuntimeConfig(Path.of("/nonexistent/bwrap"), null, null, null);
        assertThat(BubblewrapRuntime.available(missing)).isFalse();
        assertThat(BubblewrapRuntime.unavailableReason(missing)).hasValueSatisfying(reason ->
                assertThat(reason).contains("/nonexistent/bwrap"));
    }

    @Test
    void bootstrapRoundTripThroughTheDispatchSocket() throws Exception {
        Map<String, Object> dispatch = new LinkedHashMap<>();
        dispatch.put("type", "dispatch");
        dispatch.put("dispatch_id", "d-1");
        dispatch.put("action", "exec");
        dispatch.put("command", "id -u; grep CapEff /proc/self/status; ls /");
        dispatch.put("args", List.of());
        try (GatewayStub gateway = GatewayStub.replying(Reply.json(dispatch),
                Reply.json(Map.of("type", "final", "content", "done inside bwrap")));
             GatewaySocket socket = GatewaySocket.open(sockets.resolve("gw.sock"), target(gateway))) {

            Map<String, String> env = Map.of("AEGIS_EXECUTION_ID", "exec-bw", "AEGIS_AGENT_ID", "agent-bw",
                    "AEGIS_MODEL_ALIAS", "default", "AEGIS_EXECUTION_TOKEN", TOKEN, "AEGIS_BOOTSTRAP_DEBUG", "true");
            SandboxSpec spec = spec(List.of("python3", BootstrapScript.SANDBOX_PATH, "list the root"), env,
                    Duration.ofSeconds(60)).toBuilder().setExecutionId("exec-bw").setDispatchSocket(socket.file())
                    .build();
            AtomicLong firstLine = new AtomicLong();
            long started = System.nanoTime();

            SandboxResult result = runtime().run(spec, (stream, line) -> {
                firstLine.compareAndSet(0, System.nanoTime());
                record(stream, line);
            });

            System.out.printf("bubblewrap: run() start to first output line %.1f ms, whole round trip %d ms%n",
                    (firstLine.get() - started) / 1e6, result.duration().toMillis());
            assertThat(result.exitCode()).as(result.stderr()).isZero();
            assertThat(result.stdout()).isEqualTo("done inside bwrap");
            assertThat(gateway.requests()).hasSize(2).allSatisfy(request ->
                    assertThat(request.authorization()).isEqualTo("Bearer " + TOKEN));
            assertThat(gateway.requests().getFirst().body().path("prompt").asText()).isEqualTo("list the root");
            JsonNode executed = gateway.requests().get(1).body();
            assertThat(executed.path("exit_code").asInt()).as(executed.toString()).isZero();
            List<String> out = List.of(executed.path("stdout").asText().split("\n"));
            assertThat(out.getFirst()).isEqualTo("1000");
            assertThat(out.get(1)).matches("CapEff:\\s+0+");
            List<String> root = out.subList(2, out.size());
            assertThat(root).contains("aegis", "usr", "workspace", "tmp", "proc", "dev", "etc")
                    .doesNotContain("root", "home", "work", "var", "run", "opt", "mnt");
        }
        assertThat(lines).contains("stdout|done inside bwrap");
        assertThat(lines).anyMatch(line -> line.startsWith("stderr|[BOOTSTRAP DEBUG] POST unix:/aegis/dispatch.sock"));
        assertThat(workspaces).isEmptyDirectory();
    }

    @Test
    void withoutNetworkNothingIsReachableAndWithItOnlyTheOutsideNeverTheHostsLoopback() throws Exception {
        InetAddress outside = nonLoopbackAddress();
        try (ServerSocket local = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
             ServerSocket external = new ServerSocket(0, 50, outside == null ? InetAddress.getLoopbackAddress()
                     : outside)) {
            List<String> targets = new ArrayList<>(List.of("127.0.0.1:" + local.getLocalPort(),
                    "10.0.2.2:" + local.getLocalPort())); // 10.0.2.2: slirp4netns's alias of the host
            if (outside != null) {
                targets.add(outside.getHostAddress() + ":" + external.getLocalPort());
            }
            String connect = String.join("\n",
                    "import socket, sys",
                    "for target in sys.argv[1:]:",
                    "    host, port = target.rsplit(':', 1)",
                    "    try:",
                    "        socket.create_connection((host, int(port)), timeout=5).close()",
                    "        print(target, 'connected', flush=True)",
                    "    except OSError as e:",
                    "        print(target, 'failed', e, flush=True)");
            List<String> argv = new ArrayList<>(List.of("python3", "-c", connect));
            argv.addAll(targets);

            SandboxResult none = runtime().run(spec(argv, Map.of(), Duration.ofSeconds(60)), this::record);
            SandboxResult own = runtime().run(spec(argv, Map.of(), Duration.ofSeconds(60)).toBuilder()
                    .setNetworkAllowed(true).build(), this::record);

            assertThat(none.exitCode()).as(none.stderr()).isZero();
            assertThat(none.stdout().lines()).hasSize(targets.size()).allMatch(line -> line.contains(" failed "));
            assertThat(own.exitCode()).as(own.stderr()).isZero();
            List<String> seen = own.stdout().lines().toList();
            assertThat(seen.get(0)).as("the sandbox's own loopback, not the host's").contains(" failed ");
            assertThat(seen.get(1)).as("the host's loopback through slirp4netns").contains(" failed ");
            if (outside != null) {
                assertThat(seen.get(2)).as("a non-loopback address of the host, from outside").contains(" connected");
                external.setSoTimeout(5_000);
                external.accept().close();
            } else {
                System.out.println("no non-loopback IPv4 address on this host: outbound reach not checked");
            }
            // Every attempt is over: one that had reached the host's loopback would wait in the backlog now.
            local.setSoTimeout(200);
            assertThatThrownBy(local::accept).isInstanceOf(SocketTimeoutException.class);
        }
        assertThat(workspaces).isEmptyDirectory();
    }

    @Test
    void aSpecThatAllowsNetworkIsRefusedClearlyWithoutSlirp4netns() throws Exception {
        BubblewrapRuntime withoutSlirp = new BubblewrapRuntime(new BubblewrapRuntimeConfig(null, workspaces, null,
                Path.of("/nonexistent/slirp4netns")));
        SandboxSpec offline = spec(List.of("/usr/bin/true"), Map.of(), Duration.ofSeconds(30));

        assertThatThrownBy(() -> withoutSlirp.run(offline.toBuilder().setNetworkAllowed(true).build(), this::record))
                .isInstanceOf(SandboxException.class)
                .hasMessageContaining("spec.security.network.mode")
                .hasMessageContaining("/nonexistent/slirp4netns is missing (Debian package: slirp4netns)")
                .hasMessageContaining("refused rather than run on the host's network");
        assertThat(withoutSlirp.run(offline, this::record).exitCode()).isZero();
        assertThat(workspaces).isEmptyDirectory();
    }

    @Test
    void secretsAndTheInputStayOffEveryCommandLine() throws Exception {
        SandboxChecks.secretsAndTheInputStayOffEveryCommandLine(runtime(),
                spec(List.of("unused"), Map.of(), Duration.ofSeconds(60)), sockets);
        assertThat(workspaces).isEmptyDirectory();
    }

    @Test
    void writingPastTheDiskLimitFailsInsideTheSandbox() throws Exception {
        String script = String.join("\n",
                "dd if=/dev/zero of=/workspace/big bs=1M count=16 2>&1; echo workspace=$?",
                "rm -f /workspace/big",
                "dd if=/dev/zero of=/tmp/big bs=1M count=16 2>&1; echo tmp=$?",
                "rm -f /tmp/big",
                "dd if=/dev/zero of=/workspace/small bs=1M count=4 status=none && echo small=ok");
        SandboxSpec spec = spec(List.of("/bin/sh", "-c", script), Map.of(), Duration.ofSeconds(60))
                .toBuilder().setDiskBytes(8L << 20).build();

        SandboxResult result = runtime().run(spec, this::record);

        assertThat(result.exitCode()).as(result.stderr()).isZero();
        assertThat(result.stdout()).contains("No space left on device")
                .doesNotContain("workspace=0", "tmp=0").contains("small=ok");
        assertThat(workspaces).isEmptyDirectory();
    }

    @Test
    void theAgentCannotMakeUserNamespacesOfItsOwn() throws Exception {
        SandboxResult result = runtime().run(spec(List.of("/bin/sh", "-c",
                "/usr/bin/unshare --user --map-root-user /usr/bin/true; echo unshare=$?"), Map.of(),
                Duration.ofSeconds(30)), this::record);

        assertThat(result.exitCode()).as(result.stderr()).isZero();
        assertThat(result.stdout().strip()).isNotEqualTo("unshare=0").startsWith("unshare=");
        assertThat(result.stderr()).contains("No space left on device"); // user.max_user_namespaces is 0 inside
    }

    @Test
    void onlyTheWorkspaceIsWritableAndTheHostIsHidden() throws Exception {
        String script = String.join("\n",
                "touch /usr/x 2>/dev/null && echo usr-writable || echo usr-readonly",
                "touch /aegis/x 2>/dev/null && echo root-writable || echo root-readonly",
                "echo hello > /workspace/f && cat /workspace/f",
                "for p in /root /work /home /etc/shadow /var /run; do [ -e $p ] && echo visible $p || echo absent $p; done",
                "id -un",
                "grep -c . /etc/passwd");

        SandboxResult result = runtime().run(spec(List.of("/bin/sh", "-c", script), Map.of(), Duration.ofSeconds(30)),
                this::record);

        assertThat(result.exitCode()).as(result.stderr()).isZero();
        assertThat(result.stdout().split("\n")).containsExactly("usr-readonly", "root-readonly", "hello",
                "absent /root", "absent /work", "absent /home", "absent /etc/shadow", "absent /var", "absent /run",
                "agent", "3");
        assertThat(workspaces).isEmptyDirectory();
    }

    @Test
    void memoryLimitStopsALargeAllocation() throws Exception {
        long limit = 64L << 20;
        SandboxSpec big = spec(List.of("python3", "-c", "b = bytearray(512*1024*1024)"), Map.of(),
                Duration.ofSeconds(30)).toBuilder().setMemoryBytes(limit).build();
        SandboxSpec small = spec(List.of("python3", "-c", "b = bytearray(8*1024*1024); print(len(b))"), Map.of(),
                Duration.ofSeconds(30)).toBuilder().setMemoryBytes(limit).build();

        SandboxResult refused = runtime().run(big, this::record);
        SandboxResult fits = runtime().run(small, this::record);

        assertThat(refused.exitCode()).isNotZero();
        assertThat(refused.stderr()).contains("MemoryError");
        assertThat(fits.exitCode()).as(fits.stderr()).isZero();
        assertThat(fits.stdout().strip()).isEqualTo(Integer.toString(8 * 1024 * 1024));
    }

    @Test
    void limitsAreSetOnTheSandboxedCommand() throws Exception {
        SandboxSpec spec = spec(List.of("/bin/cat", "/proc/self/limits"), Map.of(), Duration.ofSeconds(30))
                .toBuilder().setMemoryBytes(96L << 20).setPidsLimit(37).build();

        SandboxResult result = runtime().run(spec, this::record);

        assertThat(result.exitCode()).as(result.stderr()).isZero();
        assertThat(result.stdout()).containsPattern("Max processes\\s+37\\s+37\\s")
                .containsPattern("Max address space\\s+" + (96L << 20) + "\\s+" + (96L << 20) + "\\s");
        SandboxResult defaults = runtime().run(spec(List.of("/bin/cat", "/proc/self/limits"), Map.of(),
                Duration.ofSeconds(30)), this::record);
        assertThat(defaults.stdout()).containsPattern("Max processes\\s+" + SandboxSpec.DEFAULT_PIDS_LIMIT + "\\s")
                .containsPattern("Max address space\\s+unlimited\\s");
    }

    @Test
    void timeoutKillsTheWholeSandbox() throws Exception {
        String marker = "aegis-marker-" + UUID.randomUUID();
        AtomicBoolean seenRunning = new AtomicBoolean();
        SandboxSpec spec = spec(List.of("python3", "-c", forkAndSleep(), marker), Map.of(), Duration.ofSeconds(1));

        SandboxResult result = runtime().run(spec, (stream, line) -> {
            record(stream, line);
            if (line.equals("started")) {
                seenRunning.set(processesWith(marker) >= 2); // parent and forked child, seen from the host
            }
        });

        assertThat(result.timedOut()).isTrue();
        assertThat(result.exitCode()).isEqualTo(-1);
        assertThat(seenRunning).isTrue();
        await().atMost(Duration.ofSeconds(5)).until(() -> processesWith(marker) == 0);
        assertThat(workspaces).isEmptyDirectory();
    }

    @Test
    void interruptKillsTheSandboxAndKeepsTheFlag() throws Exception {
        String marker = "aegis-marker-" + UUID.randomUUID();
        SandboxSpec spec = spec(List.of("python3", "-c", forkAndSleep(), marker), Map.of(), Duration.ofSeconds(60));
        AtomicReference<SandboxResult> result = new AtomicReference<>();
        AtomicBoolean flagKept = new AtomicBoolean();
        Thread caller = Thread.ofPlatform().start(() -> {
            try {
                result.set(runtime().run(spec, this::record));
                flagKept.set(Thread.currentThread().isInterrupted());
            } catch (SandboxException e) {
                throw new IllegalStateException(e);
            }
        });
        await().atMost(Duration.ofSeconds(20)).until(() -> lines.contains("stdout|started"));
        assertThat(processesWith(marker)).isGreaterThanOrEqualTo(2);

        caller.interrupt();
        caller.join(Duration.ofSeconds(10));

        assertThat(caller.isAlive()).isFalse();
        assertThat(result.get()).isNotNull();
        assertThat(result.get().exitCode()).isEqualTo(-1);
        assertThat(result.get().timedOut()).isFalse();
        assertThat(result.get().ending()).isEqualTo(SandboxResult.Ending.KILLED);
        assertThat(flagKept).isTrue();
        await().atMost(Duration.ofSeconds(5)).until(() -> processesWith(marker) == 0);
        assertThat(workspaces).isEmptyDirectory();
    }

    @Test
    void environmentIsExactlyTheSpecPlusDefaults() throws Exception {
        SandboxResult result = runtime().run(spec(List.of("python3", "-c",
                        "import json, os; print(json.dumps(dict(os.environ)))"),
                Map.of("AEGIS_MODEL_ALIAS", "default", "FOO", "bar baz"), Duration.ofSeconds(30)), this::record);

        assertThat(result.exitCode()).as(result.stderr()).isZero();
        Map<String, String> env = Json.MAPPER.readValue(result.stdout(), new TypeReference<>() { });
        assertThat(env).containsOnlyKeys("AEGIS_MODEL_ALIAS", "FOO", "PATH", "HOME", "LANG", "AEGIS_WORKSPACE")
                .containsEntry("FOO", "bar baz")
                .containsEntry("HOME", "/workspace")
                .containsEntry("AEGIS_WORKSPACE", "/workspace")
                .containsEntry("PATH", "/usr/local/bin:/usr/bin:/bin")
                .containsEntry("LANG", "C.UTF-8");
    }

    @Test
    void outputOverTheCapKeepsTheTail() throws Exception {
        SandboxSpec spec = spec(List.of("python3", "-c",
                "import sys; sys.stdout.write('HEAD' + 'x' * 5000 + 'TAIL\\n')"), Map.of(), Duration.ofSeconds(30))
                .toBuilder().setMaxOutputBytes(1000).build();

        SandboxResult result = runtime().run(spec, this::record);

        assertThat(result.truncated()).isTrue();
        assertThat(result.stdout()).hasSize(1000).endsWith("xTAIL\n").doesNotContain("HEAD");
        assertThat(lines).anyMatch(line -> line.startsWith("stdout|HEAD") && line.endsWith("TAIL"));
    }

    @Test
    void missingDispatchSocketIsASandboxError() {
        SandboxSpec spec = spec(List.of("/usr/bin/true"), Map.of(), Duration.ofSeconds(5)).toBuilder()
                .setMaxOutputBytes(1024).setDispatchSocket(sockets.resolve("none.sock")).build();

        assertThatThrownBy(() -> runtime().run(spec, this::record)).isInstanceOf(SandboxException.class)
                .hasMessageContaining("none.sock");
        assertThat(workspaces).isEmptyDirectory();
    }

    /** Forks once so that the kill must reach more than the direct child, then sleeps in both processes. */
    private static String forkAndSleep() {
        return "import os, sys, time\nif os.fork() > 0:\n    print('started', flush=True)\ntime.sleep(60)";
    }

    private static long processesWith(String marker) {
        return ProcessHandle.allProcesses()
                .filter(process -> process.info().arguments().map(args -> Arrays.asList(args).contains(marker))
                        .orElse(false))
                .count();
    }

    private static InetSocketAddress target(GatewayStub gateway) {
        return SandboxChecks.address(gateway);
    }

    /** An IPv4 address of this host that is not loopback: reachable from a sandbox's own network, if any exists. */
    private static InetAddress nonLoopbackAddress() throws SocketException {
        return NetworkInterface.networkInterfaces().filter(BubblewrapRuntimeTest::upAndNotLoopback)
                .flatMap(NetworkInterface::inetAddresses)
                .filter(address -> address instanceof Inet4Address && !address.isLoopbackAddress()
                        && !address.isLinkLocalAddress())
                .findFirst().orElse(null);
    }

    private static boolean upAndNotLoopback(NetworkInterface nic) {
        try {
            return nic.isUp() && !nic.isLoopback();
        } catch (SocketException e) {
            return false;
        }
    }

    private BubblewrapRuntime runtime() {
        return new BubblewrapRuntime(BubblewrapRuntimeConfig.under(workspaces));
    }

    /** 1 MiB of output, no CPU or memory limit, the default process limit, no network. */
    private static SandboxSpec spec(List<String> argv, Map<String, String> env, Duration timeout) {
        return SandboxSpec.newBuilder().setExecutionId("exec-1").setArgv(argv).setEnv(env).setTimeout(timeout)
                .setMaxOutputBytes(1 << 20).build();
    }

    private void record(String stream, String line) {
        lines.add(stream + "|" + line);
    }
}
