package ai.aegis.worker.runtime.docker;

import ai.aegis.schemas.json.Json;
import ai.aegis.worker.runtime.BootstrapScript;
import ai.aegis.worker.runtime.GatewaySocket;
import ai.aegis.worker.runtime.GatewayStub.Reply;
import ai.aegis.worker.runtime.GatewayStub;
import ai.aegis.worker.runtime.SandboxChecks;
import ai.aegis.worker.runtime.SandboxException;
import ai.aegis.worker.runtime.SandboxResult;
import ai.aegis.worker.runtime.SandboxSpec;
import com.fasterxml.jackson.databind.JsonNode;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.HostConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
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
import static org.awaitility.Awaitility.await;

/**
 * The Docker runtime against a real engine ({@code DOCKER_HOST}; CI's {@code .ci/run} starts one with
 * {@code shared/tools/agent-runtime.sh start-docker}). The image is the local skeleton {@code agent-base:local}, with
 * the host's {@code /usr} bound read-only so that its python3 and sh serve inside.
 */
class DockerRuntimeTest {

    private static final String IMAGE = "agent-base:local";
    private static final String TOKEN = "docker-exec-token-42";

    @TempDir
    static Path workspaces;
    @TempDir
    static Path sockets;

    private static DockerRuntime runtime;

    private final List<String> lines = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void engine() {
        String host = SandboxChecks.requireDockerHost();
        DockerRuntimeConfig config = new DockerRuntimeConfig(host,
                List.of("/usr:/usr:ro", "/etc/alternatives:/etc/alternatives:ro"), null, null, null, workspaces,
                IMAGE, null);
        assertThat(DockerRuntime.available(config)).as("a container engine answers at %s", host).isTrue();
        runtime = new DockerRuntime(config).start();
    }

    @AfterAll
    static void closeRuntime() {
        if (runtime != null) {
            runtime.close();
        }
    }

    @AfterEach
    void nothingLeftOnTheHost() {
        assertThat(workspaces).as("every run directory is removed").isEmptyDirectory();
    }

    @Test
    void bootstrapRoundTripOverTheDispatchSocketRunsAsANonRootUserWithoutCapabilities() throws Exception {
        String executionId = "exec-" + UUID.randomUUID();
        String identityCommand = "id -u && id -g && cat /proc/self/status | grep -E 'CapEff|CapBnd|NoNewPrivs'";
        try (GatewayStub gateway = GatewayStub.replying(Reply.json(dispatch("d-1", identityCommand)),
                Reply.json(Map.of("type", "final", "content", "identity checked")));
             GatewaySocket socket = GatewaySocket.open(sockets.resolve("gw-roundtrip.sock"), address(gateway),
                     runtime.gatewayClient().orElseThrow())) {
            Map<String, String> env = new HashMap<>();
            env.put("AEGIS_EXECUTION_ID", executionId);
            env.put("AEGIS_AGENT_ID", "agent-docker");
            env.put("AEGIS_MODEL_ALIAS", "smart");
            env.put("AEGIS_EXECUTION_TOKEN", TOKEN);
            env.put("AEGIS_BOOTSTRAP_DEBUG", "true");

            AtomicLong firstLineNanos = new AtomicLong();
            long begin = System.nanoTime();
            SandboxResult result = runtime.run(spec(executionId,
                    List.of("python3", BootstrapScript.SANDBOX_PATH, "who am I"), env, socket.file()),
                    (stream, line) -> {
                        firstLineNanos.compareAndSet(0, System.nanoTime() - begin);
                        lines.add(stream + "|" + line);
                    });
            long total = System.nanoTime() - begin;
            System.out.printf("[docker round trip] run() start to first output line: %d ms; whole run: %d ms%n",
                    firstLineNanos.get() / 1_000_000, total / 1_000_000);

            assertThat(result.exitCode()).as(result.stderr()).isZero();
            assertThat(result.timedOut()).isFalse();
            assertThat(result.stdout()).isEqualTo("identity checked");
            List<JsonNode> bodies = gateway.requests().stream().map(GatewayStub.Request::body).toList();
            assertThat(bodies).hasSize(2);
            assertThat(gateway.requests()).extracting(GatewayStub.Request::authorization)
                    .containsOnly("Bearer " + TOKEN);
            assertThat(bodies.get(0).path("type").asText()).isEqualTo("generate");
            assertThat(bodies.get(0).path("execution_id").asText()).isEqualTo(executionId);
            JsonNode dispatched = bodies.get(1);
            assertThat(dispatched.path("type").asText()).isEqualTo("dispatch_result");
            assertThat(dispatched.path("exit_code").asInt()).as(dispatched.toString()).isZero();
            String[] identity = dispatched.path("stdout").asText().split("\n");
            assertThat(identity).hasSize(5);
            assertThat(identity[0]).isEqualTo("1000").isNotEqualTo("0");
            assertThat(identity[1]).isEqualTo("1000");
            assertThat(identity[2]).isEqualTo("CapEff:\t0000000000000000");
            // A non-root process has no effective capabilities anyway: the empty bounding set shows CapDrop ALL.
            assertThat(identity[3]).isEqualTo("CapBnd:\t0000000000000000");
            assertThat(identity[4]).isEqualTo("NoNewPrivs:\t1");
            assertThat(lines).contains("stdout|identity checked");
            assertThat(lines).anyMatch(l -> l.startsWith("stderr|[BOOTSTRAP DEBUG]"));
        }
        assertThat(containersOf(executionId)).isEmpty();
    }

    @Test
    void theSandboxHasNoNetworkEvenWhenAllowedOnAnEngineWithoutABridge() throws Exception {
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            server.configureBlocking(false);
            int port = ((InetSocketAddress) server.getLocalAddress()).getPort();
            List<String> connect = List.of("python3", "-c",
                    "import socket; socket.create_connection(('127.0.0.1', " + port + "), timeout=2);"
                            + " print('reached')");

            SandboxResult denied = runtime.run(spec("exec-" + UUID.randomUUID(), connect, Map.of(), null),
                    this::record);

            assertThat(denied.exitCode()).as(denied.stderr()).isNotZero();
            assertThat(denied.stdout()).doesNotContain("reached");
            assertThat(denied.stderr()).containsAnyOf("ConnectionRefusedError", "Network is unreachable");

            // Allowed: the bridge when the engine has one, never the host's network (this engine has no bridge).
            SandboxSpec allowed = spec("exec-" + UUID.randomUUID(), connect, Map.of(), null).toBuilder()
                    .setNetworkAllowed(true).build();
            SandboxResult stillDenied = runtime.run(allowed, this::record);
            assertThat(stillDenied.exitCode()).as(stillDenied.stderr()).isNotZero();

            // Any connection would be queued on the listener by now: a non-blocking accept sees it.
            assertThat(server.accept()).as("the host listener saw a connection").isNull();
        }
    }

    @Test
    void theRootFileSystemIsReadOnlyButTheWorkspaceAndTmpAreWritable() throws Exception {
        String script = "touch /etc/x; echo etc=$?; touch /workspace/x; echo workspace=$?; touch /tmp/x; echo tmp=$?;"
                + " echo overwritten > /aegis/bootstrap.py; echo bootstrap=$?; pwd";
        SandboxSpec spec = spec("exec-" + UUID.randomUUID(), List.of("/bin/sh", "-c", script), Map.of(), null)
                .toBuilder().setPullPolicy("Never").build(); // the image is local: Never must run it without any pull

        SandboxResult result = runtime.run(spec, this::record);

        assertThat(result.exitCode()).as(result.stderr()).isZero();
        assertThat(result.stdout().lines().toList())
                .contains("workspace=0", "tmp=0", "/workspace")
                .doesNotContain("etc=0", "bootstrap=0");
        assertThat(result.stderr()).contains("Read-only file system");
    }

    @Test
    void limitsAndEnvironmentAreExactlyTheSpecs() throws Exception {
        String script = String.join("\n",
                "import os, json",
                "def first(*paths):",
                "    for p in paths:",
                "        if os.path.exists(p):",
                "            return open(p).read().split()",
                "    return ['missing']",
                "print(json.dumps({'pids': first('/sys/fs/cgroup/pids.max', '/sys/fs/cgroup/pids/pids.max'),",
                "  'memory': first('/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes'),",
                "  'cpu': first('/sys/fs/cgroup/cpu.max', '/sys/fs/cgroup/cpu/cpu.cfs_quota_us'),",
                "  'env': dict(os.environ), 'cwd': os.getcwd()}))");
        SandboxResult result = runtime.run(spec("exec-" + UUID.randomUUID(), List.of("python3", "-c", script),
                Map.of("CUSTOM", "value with spaces", "AEGIS_MODEL_ALIAS", "smart"), null), this::record);

        assertThat(result.exitCode()).as(result.stderr()).isZero();
        JsonNode seen = Json.MAPPER.readTree(result.stdout());
        assertThat(seen.path("pids").get(0).asText()).isEqualTo("64");
        assertThat(seen.path("memory").get(0).asLong()).isEqualTo(128L << 20);
        assertThat(seen.path("cpu").get(0).asLong()).isEqualTo(50_000L); // 500 millicores of a 100 ms period
        Map<String, String> env = new LinkedHashMap<>();
        seen.path("env").properties().forEach(e -> env.put(e.getKey(), e.getValue().asText()));
        env.remove("HOSTNAME"); // set by the engine itself in every container
        assertThat(env).containsOnlyKeys("CUSTOM", "AEGIS_MODEL_ALIAS", "HOME", "PATH", "LANG", "AEGIS_WORKSPACE")
                .containsEntry("CUSTOM", "value with spaces")
                .containsEntry("HOME", "/workspace")
                .containsEntry("AEGIS_WORKSPACE", "/workspace");
        assertThat(seen.path("cwd").asText()).isEqualTo("/workspace");
    }

    @Test
    void anOutOfMemoryKillIsReportedInStderr() throws Exception {
        SandboxSpec spec = spec("exec-" + UUID.randomUUID(), List.of("python3", "-c", "b = bytearray(512*1024*1024)"),
                Map.of(), null).toBuilder().setImage(null).setCpuMillicores(1000).setMemoryBytes(64L << 20).build();

        SandboxResult result = runtime.run(spec, this::record);

        assertThat(result.exitCode()).isNotZero();
        assertThat(result.timedOut()).isFalse();
        assertThat(result.ending()).isEqualTo(SandboxResult.Ending.OUT_OF_MEMORY);
        assertThat(result.stderr()).contains("[AEGIS] killed: out of memory (limit 64 MiB)");
        assertThat(lines).contains("stderr|[AEGIS] killed: out of memory (limit 64 MiB)");
    }

    @Test
    void aTimeoutKillsAndRemovesTheContainer() throws Exception {
        String executionId = "exec-" + UUID.randomUUID();
        SandboxSpec spec = spec(executionId, List.of("/bin/sh", "-c", "echo sleeping; sleep 60"), Map.of(), null)
                .toBuilder().setImage(null).setTimeout(Duration.ofSeconds(2)).setCpuMillicores(1000).build();

        SandboxResult result = runtime.run(spec, this::record);

        assertThat(result.timedOut()).isTrue();
        assertThat(result.ending()).isEqualTo(SandboxResult.Ending.TIMED_OUT);
        assertThat(result.exitCode()).isEqualTo(-1);
        assertThat(result.stdout()).isEqualTo("sleeping\n");
        assertThat(result.duration()).isLessThan(Duration.ofSeconds(30));
        assertThat(containersOf(executionId)).isEmpty();
    }

    @Test
    void interruptingTheCallerKillsRemovesAndKeepsTheInterruptFlag() throws Exception {
        String executionId = "exec-" + UUID.randomUUID();
        SandboxSpec spec = spec(executionId, List.of("/bin/sh", "-c", "echo started; exec sleep 60"), Map.of(), null);
        AtomicReference<SandboxResult> result = new AtomicReference<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicBoolean flagKept = new AtomicBoolean();
        Thread caller = Thread.ofVirtual().start(() -> {
            try {
                result.set(runtime.run(spec, this::record));
                flagKept.set(Thread.currentThread().isInterrupted());
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        await().atMost(Duration.ofSeconds(20)).until(() -> lines.contains("stdout|started"));
        assertThat(containersOf(executionId)).hasSize(1);

        caller.interrupt();
        assertThat(caller.join(Duration.ofSeconds(20))).as("run() returned after the interrupt").isTrue();

        assertThat(failure.get()).isNull();
        assertThat(flagKept).isTrue();
        assertThat(result.get().exitCode()).isEqualTo(-1);
        assertThat(result.get().timedOut()).isFalse();
        assertThat(result.get().ending()).isEqualTo(SandboxResult.Ending.KILLED);
        assertThat(result.get().stdout()).isEqualTo("started\n");
        assertThat(result.get().duration()).isLessThan(Duration.ofSeconds(30));
        assertThat(containersOf(executionId)).isEmpty();
    }

    @Test
    void reapLeakedRemovesOnlyContainersWhoseWorkerIsProvablyGone() throws Exception {
        Process ended = new ProcessBuilder("/bin/sleep", "60").start();
        long endedStart = ended.info().startInstant().orElseThrow().toEpochMilli();
        ended.destroyForcibly().waitFor();
        SandboxOwner self = SandboxOwner.current();
        assertThat(self.bootId()).isNotEmpty();
        assertThat(self.pidNamespace()).startsWith("pid:");
        Map<String, String> containers = new LinkedHashMap<>();
        containers.put("ended", managed(new SandboxOwner(self.bootId(), self.pidNamespace(), ended.pid(),
                endedStart)));
        // the pid runs (this JVM) but started at another time: the worker that had it is gone, the pid reused
        containers.put("reused", managed(new SandboxOwner(self.bootId(), self.pidNamespace(), self.pid(),
                self.startedMillis() - 60_000)));
        containers.put("live", managed(self));
        containers.put("other namespace", managed(new SandboxOwner(self.bootId(), "pid:[1]", ended.pid(),
                endedStart)));
        containers.put("other boot", managed(new SandboxOwner(UUID.randomUUID().toString(), self.pidNamespace(),
                ended.pid(), endedStart)));
        containers.put("no owner", create(Map.of("aegis.managed", "true")));
        containers.put("foreign", create(Map.of("someone.else", "true")));
        try {
            assertThat(runtime.reapLeaked()).isGreaterThanOrEqualTo(2);

            for (String gone : List.of("ended", "reused")) {
                assertThatThrownBy(() -> runtime.engine().inspectContainerCmd(containers.get(gone)).exec())
                        .as(gone).isInstanceOf(NotFoundException.class);
            }
            for (String kept : List.of("live", "other namespace", "other boot", "no owner", "foreign")) {
                assertThat(runtime.engine().inspectContainerCmd(containers.get(kept)).exec().getId()).as(kept)
                        .isEqualTo(containers.get(kept));
            }
        } finally {
            containers.values().forEach(id -> {
                try {
                    runtime.engine().removeContainerCmd(id).withForce(true).exec();
                } catch (NotFoundException e) {
                    // reaped
                }
            });
        }
    }

    @Test
    void writingPastTheDiskLimitFailsInsideTheContainer() throws Exception {
        String script = "dd if=/dev/zero of=/workspace/big bs=1M count=16 2>&1; echo workspace=$?;"
                + " rm -f /workspace/big; dd if=/dev/zero of=/tmp/big bs=1M count=16 2>&1; echo tmp=$?;"
                + " rm -f /tmp/big; dd if=/dev/zero of=/workspace/small bs=1M count=4 status=none && echo small=ok;"
                + " stat -c '%u:%g %a' /workspace /tmp";
        SandboxSpec spec = spec("exec-" + UUID.randomUUID(), List.of("/bin/sh", "-c", script), Map.of(), null)
                .toBuilder().setDiskBytes(8L << 20).build();

        SandboxResult result = runtime.run(spec, this::record);

        assertThat(result.exitCode()).as(result.stderr()).isZero();
        assertThat(result.stdout()).contains("No space left on device")
                .doesNotContain("workspace=0", "tmp=0").contains("small=ok")
                .contains("1000:1000 755\n", "0:0 1777\n");
    }

    @Test
    void secretsAndTheInputStayOffEveryCommandLine() throws Exception {
        SandboxChecks.secretsAndTheInputStayOffEveryCommandLine(runtime,
                spec("exec-" + UUID.randomUUID(), List.of("unused"), Map.of(), null), sockets);
    }

    @Test
    void theRuntimeRegistryResolvesKnownPairsAndNamesTheKnownOnesOtherwise() throws Exception {
        RuntimeRegistry builtIn = RuntimeRegistry.builtIn();
        assertThat(builtIn.image("python", "3.11")).isEqualTo("python:3.11-slim");
        assertThat(builtIn.image("Python", "3.10")).isEqualTo("python:3.10-slim");
        assertThat(builtIn.image("typescript", "5.1")).isEqualTo("node:20-alpine");
        assertThatThrownBy(() -> builtIn.image("cobol", "85"))
                .isInstanceOf(SandboxException.class)
                .hasMessageContaining("'cobol' version '85'")
                .hasMessageContaining("python 3.11")
                .hasMessageContaining("go 1.21");

        Path file = Files.writeString(sockets.resolve("registry.yaml"),
                "runtimes:\n  python:\n    \"3.12\": agent-base:local\n");
        RuntimeRegistry custom = RuntimeRegistry.load(file);
        assertThat(custom.image("python", "3.12")).isEqualTo("agent-base:local");
        assertThat(custom.knownPairs()).containsExactly("python 3.12");
        Path broken = Files.writeString(sockets.resolve("broken.yaml"), "python: python:3.11-slim\n");
        assertThatThrownBy(() -> RuntimeRegistry.load(broken)).isInstanceOf(IOException.class)
                .hasMessageContaining("runtimes");
    }

    @Test
    void aMissingImageWithPullPolicyNeverFailsClearly() {
        String executionId = "exec-" + UUID.randomUUID();
        SandboxSpec missing = spec(executionId, List.of("/bin/true"), Map.of(), null).toBuilder()
                .setImage("aegis-test/absent:never").setPullPolicy("Never").build();
        assertThatThrownBy(() -> runtime.run(missing, this::record))
                .isInstanceOf(SandboxException.class)
                .hasMessageContaining("aegis-test/absent:never")
                .hasMessageContaining("pull policy is Never");

        // A language pair resolves through the registry before the image is looked for.
        SandboxSpec python = spec(executionId, List.of("python3", "-V"), Map.of(), null).toBuilder()
                .setImage(null).setLanguage("python", "3.9").setPullPolicy("Never")
                .setTimeout(Duration.ofSeconds(10)).setCpuMillicores(1000).build();
        assertThatThrownBy(() -> runtime.run(python, this::record))
                .isInstanceOf(SandboxException.class)
                .hasMessageContaining("python:3.9-slim is not present");

        SandboxSpec badPolicy = spec(executionId, List.of("/bin/true"), Map.of(), null).toBuilder()
                .setPullPolicy("Sometimes").build();
        assertThatThrownBy(() -> runtime.run(badPolicy, this::record))
                .isInstanceOf(SandboxException.class)
                .hasMessageContaining("Sometimes");
        assertThat(containersOf(executionId)).isEmpty();
    }

    // --------------------------------------------------------------------------------------------- helpers

    private static InetSocketAddress address(GatewayStub gateway) {
        return SandboxChecks.address(gateway);
    }

    /** A created (not started) container labelled as this runtime's, owned by {@code owner}. */
    private static String managed(SandboxOwner owner) {
        return create(Map.of("aegis.managed", "true", "aegis.owner", owner.label()));
    }

    private static String create(Map<String, String> labels) {
        return runtime.engine().createContainerCmd(IMAGE).withCmd("/bin/true").withLabels(labels)
                .withHostConfig(HostConfig.newHostConfig().withNetworkMode("none")).exec().getId();
    }

    private void record(String stream, String line) {
        lines.add(stream + "|" + line);
    }

    private static List<Container> containersOf(String executionId) {
        return runtime.engine().listContainersCmd().withShowAll(true)
                .withLabelFilter(Map.of("aegis.execution_id", executionId)).exec();
    }

    /** 1 MiB of output, 500 millicores, 128 MiB, 64 processes, no network, image {@value #IMAGE}. */
    private static SandboxSpec spec(String executionId, List<String> argv, Map<String, String> env, Path socket) {
        return SandboxSpec.newBuilder()
                .setExecutionId(executionId)
                .setImage(IMAGE)
                .setArgv(argv)
                .setEnv(env)
                .setTimeout(Duration.ofSeconds(30))
                .setMaxOutputBytes(1 << 20)
                .setCpuMillicores(500)
                .setMemoryBytes(128L << 20)
                .setPidsLimit(64)
                .setDispatchSocket(socket)
                .build();
    }

    private static Map<String, Object> dispatch(String id, String command) {
        Map<String, Object> dispatch = new LinkedHashMap<>();
        dispatch.put("type", "dispatch");
        dispatch.put("dispatch_id", id);
        dispatch.put("action", "exec");
        dispatch.put("command", command);
        dispatch.put("args", List.of());
        dispatch.put("cwd", "/workspace");
        dispatch.put("env_additions", Map.of());
        dispatch.put("timeout_secs", 20);
        dispatch.put("max_output_bytes", 524288);
        return dispatch;
    }
}
