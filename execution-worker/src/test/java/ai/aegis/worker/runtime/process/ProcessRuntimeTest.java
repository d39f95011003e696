package ai.aegis.worker.runtime.process;

import ai.aegis.schemas.json.Json;
import ai.aegis.worker.runtime.BootstrapScript;
import ai.aegis.worker.runtime.SandboxChecks;
import ai.aegis.worker.runtime.SandboxException;
import ai.aegis.worker.runtime.SandboxResult;
import ai.aegis.worker.runtime.SandboxSpec;
import com.fasterxml.jackson.core.type.TypeReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

class ProcessRuntimeTest {

    @TempDir
    Path workspaces;

    @TempDir
    Path outside;

    private final List<String> lines = new CopyOnWriteArrayList<>();

    @Test
    void describesItselfAsNotIsolating() {
        ProcessRuntime runtime = runtime();
        assertThat(runtime.name()).isEqualTo("process");
        assertThat(runtime.isolates()).isFalse();
    }

    @Test
    void sandboxSeesExactlyTheSpecEnvironmentPlusDefaults() throws Exception {
        SandboxResult result = runtime().run(spec(List.of("python3", "-c",
                        "import json, os; print(json.dumps(dict(os.environ)))"),
                Map.of("AEGIS_MODEL_ALIAS", "default", "FOO", "bar"), Duration.ofSeconds(30), 1 << 20), this::record);

        assertThat(result.exitCode()).as(result.stderr()).isZero();
        Map<String, String> env = Json.MAPPER.readValue(result.stdout(), new TypeReference<>() { });
        assertThat(env.keySet()).containsExactlyInAnyOrder("AEGIS_MODEL_ALIAS", "FOO", "PATH", "HOME", "LANG",
                "AEGIS_WORKSPACE");
        assertThat(env).containsEntry("FOO", "bar")
                .containsEntry("PATH", "/usr/local/bin:/usr/bin:/bin")
                .containsEntry("LANG", "C.UTF-8");
        // Nothing of the worker's own environment leaks in (JAVA_HOME is set by the build running this test).
        assertThat(env).doesNotContainKey("JAVA_HOME");
        assertThat(env.get("HOME")).isEqualTo(env.get("AEGIS_WORKSPACE")).isNotEqualTo(System.getenv("HOME"));
        assertThat(env.get("HOME")).startsWith(workspaces + "/aegis-exec-1-1-");
        assertThat(workspaces).isEmptyDirectory();
    }

    @Test
    void specValuesWinOverDefaults() throws Exception {
        SandboxResult result = runtime().run(spec(List.of("/bin/sh", "-c", "printf %s \"$PATH|$LANG\""),
                Map.of("PATH", "/bin", "LANG", "en_US.UTF-8"), Duration.ofSeconds(30), 1 << 20), this::record);

        assertThat(result.stdout()).isEqualTo("/bin|en_US.UTF-8");
    }

    @Test
    void workspaceIsPrivateAndHoldsTheBootstrapScript() throws Exception {
        String script = "import os, stat, sys; ws = os.getcwd(); "
                + "print(oct(stat.S_IMODE(os.stat(ws).st_mode))); print(ws == os.environ['AEGIS_WORKSPACE']); "
                + "print(os.path.realpath(sys.argv[1]).startswith(os.path.realpath(ws))); "
                + "print(open(sys.argv[1], 'rb').read() == open(sys.argv[2], 'rb').read())";
        Path reference = Files.write(outside.resolve("reference.py"), BootstrapScript.bytes());
        SandboxResult result = runtime().run(spec(List.of("python3", "-c", script, BootstrapScript.SANDBOX_PATH,
                reference.toString()), Map.of(), Duration.ofSeconds(30), 1 << 20), this::record);

        assertThat(result.exitCode()).as(result.stderr()).isZero();
        assertThat(result.stdout()).isEqualTo("0o700\nTrue\nTrue\nTrue\n");
        assertThat(workspaces).isEmptyDirectory();
    }

    @Test
    void listenerGetsEveryLineWhileTheResultKeepsTheTail() throws Exception {
        SandboxResult result = runtime().run(spec(List.of("python3", "-c",
                        "import sys\nfor i in range(1000): print('line-%04d' % i)\nsys.stderr.write('warn\\r\\nlast')"),
                Map.of(), Duration.ofSeconds(30), 100), this::record);

        assertThat(result.exitCode()).as(result.stderr()).isZero();
        assertThat(result.truncated()).isTrue();
        assertThat(result.stdout()).hasSize(100).endsWith("line-0999\n").doesNotContain("line-0000");
        assertThat(result.stderr()).isEqualTo("warn\r\nlast");
        assertThat(lines.stream().filter(l -> l.startsWith("stdout|"))).hasSize(1000)
                .startsWith("stdout|line-0000").endsWith("stdout|line-0999");
        assertThat(lines).contains("stderr|warn", "stderr|last");
    }

    @Test
    void nonZeroExitIsReportedNotThrown() throws Exception {
        SandboxResult result = runtime().run(spec(List.of("/bin/sh", "-c", "echo oops >&2; exit 3"), Map.of(),
                Duration.ofSeconds(30), 1 << 20), this::record);

        assertThat(result.exitCode()).isEqualTo(3);
        assertThat(result.stderr()).isEqualTo("oops\n");
        assertThat(result.timedOut()).isFalse();
        assertThat(result.ending()).isEqualTo(SandboxResult.Ending.EXITED);
        assertThat(result.truncated()).isFalse();
    }

    @Test
    void timeoutKillsTheProcessAndItsDescendants() throws Exception {
        Path pidFile = outside.resolve("pids");
        String script = "import os, subprocess, time\n"
                + "child = subprocess.Popen(['sleep', '60'])\n"
                + "tmp = os.environ['PIDFILE'] + '.tmp'\n"
                + "open(tmp, 'w').write('%d %d' % (os.getpid(), child.pid))\n"
                + "os.rename(tmp, os.environ['PIDFILE'])\n"
                + "time.sleep(60)\n";
        long started = System.nanoTime();
        SandboxResult result = runtime().run(spec(List.of("python3", "-c", script),
                Map.of("PIDFILE", pidFile.toString()), Duration.ofSeconds(1), 1 << 20), this::record);
        Duration elapsed = Duration.ofNanos(System.nanoTime() - started);

        assertThat(result.timedOut()).isTrue();
        assertThat(result.exitCode()).isEqualTo(-1);
        assertThat(elapsed).isLessThan(Duration.ofSeconds(15));
        long[] pids = Arrays.stream(Files.readString(pidFile).split(" ")).mapToLong(Long::parseLong).toArray();
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            for (long pid : pids) {
                assertThat(isGone(pid)).as("process %d", pid).isTrue();
            }
        });
        assertThat(workspaces).isEmptyDirectory();
    }

    @Test
    void whatTheAgentLeftRunningEndsWithIt() throws Exception {
        Path pidFile = outside.resolve("detached");
        // setsid: a new session and process group, out of reach of a kill of the agent's group
        String script = "setsid sleep 600 </dev/null >/dev/null 2>&1 & echo $! > " + pidFile + ".tmp && mv "
                + pidFile + ".tmp " + pidFile;

        SandboxResult result = runtime().run(spec(List.of("/bin/sh", "-c", script), Map.of(),
                Duration.ofSeconds(30), 1 << 20), this::record);

        assertThat(result.exitCode()).as(result.stderr()).isZero();
        long detached = Long.parseLong(Files.readString(pidFile).strip());
        await().atMost(Duration.ofSeconds(10)).until(() -> isGone(detached));
        assertThat(workspaces).isEmptyDirectory();
    }

    @Test
    void secretsAndTheInputStayOffEveryCommandLine() throws Exception {
        SandboxChecks.secretsAndTheInputStayOffEveryCommandLine(runtime(),
                spec(List.of("unused"), Map.of(), Duration.ofSeconds(60), 1 << 20), outside);
        assertThat(workspaces).isEmptyDirectory();
    }

    @Test
    void aCommandThatCannotStartIsASandboxError() {
        assertThatThrownBy(() -> runtime().run(spec(List.of("/nonexistent/agent"), Map.of(), Duration.ofSeconds(30),
                1024), this::record)).isInstanceOf(SandboxException.class).hasMessageContaining("/nonexistent/agent");
        assertThat(workspaces).isEmptyDirectory();
    }

    @Test
    void warnsOnEveryRunThatTheAgentIsNotIsolated() throws Exception {
        Logger logger = Logger.getLogger(ProcessRuntime.class.getName());
        List<LogRecord> records = new CopyOnWriteArrayList<>();
        Handler handler = new Handler() {
            @Override
            public void publish(LogRecord record) {
                records.add(record);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        logger.addHandler(handler);
        try {
            ProcessRuntime runtime = runtime();
            for (int i = 0; i < 2; i++) {
                runtime.run(spec(List.of("/bin/true"), Map.of(), Duration.ofSeconds(30), 1024), this::record);
            }
        } finally {
            logger.removeHandler(handler);
        }
        assertThat(records).filteredOn(r -> r.getLevel() == Level.WARNING)
                .filteredOn(r -> r.getMessage().contains("does not isolate"))
                .hasSize(2);
    }

    private void record(String stream, String line) {
        lines.add(stream + "|" + line);
    }

    private ProcessRuntime runtime() {
        return new ProcessRuntime(new ProcessRuntimeConfig(null, workspaces));
    }

    private static SandboxSpec spec(List<String> argv, Map<String, String> env, Duration timeout, long maxOutput) {
        return SandboxSpec.newBuilder().setExecutionId("exec-1").setArgv(argv).setEnv(env).setTimeout(timeout)
                .setMaxOutputBytes(maxOutput).setCpuMillicores(1000).setMemoryBytes(256L << 20).build();
    }

    /** Dead, or a zombie waiting for a reaper that is not ours (PID 1 in this container may not reap). */
    private static boolean isGone(long pid) throws IOException {
        if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
            Path stat = Path.of("/proc", Long.toString(pid), "stat");
            if (!Files.exists(stat)) {
                return true;
            }
            String content = Files.readString(stat, StandardCharsets.UTF_8);
            return content.substring(content.lastIndexOf(')') + 2).startsWith("Z");
        }
        return true;
    }
}
