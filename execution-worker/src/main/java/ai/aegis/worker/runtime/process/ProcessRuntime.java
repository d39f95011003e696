package ai.aegis.worker.runtime.process;

import ai.aegis.worker.runtime.BootstrapScript;
import ai.aegis.worker.runtime.ContainerRuntime;
import ai.aegis.worker.runtime.HostProcesses;
import ai.aegis.worker.runtime.SandboxException;
import ai.aegis.worker.runtime.SandboxFiles;
import ai.aegis.worker.runtime.SandboxResult;
import ai.aegis.worker.runtime.SandboxSpec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * Runs the sandbox as a plain child process of the worker. It gives the agent <em>no</em> isolation: the agent runs
 * as the worker's user and can read whatever the worker can. What it does give: a private workspace directory that is
 * removed afterwards, an environment reduced to exactly what the spec allows, and a wall-clock limit that kills the
 * whole process tree. Only meant for machines with neither Docker nor bubblewrap.
 */
public final class ProcessRuntime implements ContainerRuntime {

    static final String DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin";

    private static final System.Logger LOG = System.getLogger(ProcessRuntime.class.getName());

    private final ProcessRuntimeConfig config;

    public ProcessRuntime(ProcessRuntimeConfig config) {
        this.config = Objects.requireNonNull(config, "config");
    }

    @Override
    public String name() {
        return "process";
    }

    @Override
    public boolean isolates() {
        return false;
    }

    @Override
    public SandboxResult run(SandboxSpec spec, OutputListener output) throws SandboxException {
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(spec.timeout(), "spec.timeout");
        OutputListener listener = output == null ? (stream, line) -> { } : output;
        LOG.log(System.Logger.Level.WARNING, "process runtime does not isolate the agent from the host: execution {0}"
                + " iteration {1} runs as the worker''s user with its file-system and network access",
                spec.executionId(), spec.iteration());
        Path workspace = createWorkspace(spec);
        try {
            return runIn(workspace, spec, listener);
        } finally {
            SandboxFiles.deleteRecursively(workspace);
        }
    }

    private SandboxResult runIn(Path workspace, SandboxSpec spec, OutputListener listener) throws SandboxException {
        Path script;
        try {
            // A hidden subdirectory keeps the script out of the way of an agent that lists its workspace.
            script = BootstrapScript.extractTo(workspace.resolve(".aegis"));
        } catch (IOException e) {
            throw new SandboxException("cannot write bootstrap.py into " + workspace, e);
        }
        ProcessBuilder builder = new ProcessBuilder(argv(spec.argv(), script)).directory(workspace.toFile());
        Map<String, String> env = builder.environment();
        env.clear();
        if (spec.env() != null) {
            env.putAll(spec.env());
        }
        env.putIfAbsent("PATH", DEFAULT_PATH);
        env.putIfAbsent("HOME", workspace.toString());
        env.putIfAbsent("LANG", "C.UTF-8");
        env.putIfAbsent("AEGIS_WORKSPACE", workspace.toString());
        if (spec.dispatchSocket() != null) {
            // no mount namespace here: the sandbox uses the socket where it really is
            env.put("AEGIS_DISPATCH_SOCKET", spec.dispatchSocket().toString());
        }

        long started = System.nanoTime();
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new SandboxException("cannot start " + builder.command().getFirst(), e);
        }
        try {
            // The agent gets no stdin: bootstrap.py then reads an empty prompt instead of waiting for input.
            process.getOutputStream().close();
        } catch (IOException ignored) {
            // Already gone: nothing to close.
        }
        OutputCapture stdout = new OutputCapture("stdout", process.getInputStream(), listener, spec.maxOutputBytes());
        OutputCapture stderr = new OutputCapture("stderr", process.getErrorStream(), listener, spec.maxOutputBytes());
        Thread outReader = Thread.ofVirtual().name("sandbox-stdout-" + process.pid()).start(stdout);
        Thread errReader = Thread.ofVirtual().name("sandbox-stderr-" + process.pid()).start(stderr);

        boolean timedOut = !waitFor(process, spec.timeout());
        if (timedOut) {
            HostProcesses.killTree(process);
        }
        HostProcesses.joinReaders(process, outReader, errReader);
        Duration duration = Duration.ofNanos(System.nanoTime() - started);
        int exitCode = timedOut || process.isAlive() ? SandboxResult.NO_EXIT_CODE : process.exitValue();
        return new SandboxResult(exitCode, stdout.text(), stderr.text(), stdout.truncated() || stderr.truncated(),
                timedOut ? SandboxResult.Ending.TIMED_OUT : SandboxResult.Ending.EXITED, duration);
    }

    private List<String> argv(List<String> argv, Path script) throws SandboxException {
        if (argv == null || argv.isEmpty()) {
            throw new SandboxException("the sandbox spec has an empty argv");
        }
        List<String> mapped = new ArrayList<>(argv.size());
        for (int i = 0; i < argv.size(); i++) {
            String arg = argv.get(i);
            if (BootstrapScript.SANDBOX_PATH.equals(arg)) {
                mapped.add(script.toString());
            } else if (i == 0 && ("python3".equals(arg) || "python".equals(arg))) {
                mapped.add(config.python().toString());
            } else {
                mapped.add(arg);
            }
        }
        return mapped;
    }

    private Path createWorkspace(SandboxSpec spec) throws SandboxException {
        String prefix = "aegis-" + safe(spec.executionId()) + "-" + spec.iteration() + "-";
        try {
            Files.createDirectories(config.workspaceBase());
            try {
                return Files.createTempDirectory(config.workspaceBase(), prefix,
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            } catch (UnsupportedOperationException e) {
                return Files.createTempDirectory(config.workspaceBase(), prefix);
            }
        } catch (IOException e) {
            throw new SandboxException("cannot create a workspace under " + config.workspaceBase(), e);
        }
    }

    /** Execution ids are UUIDs, but a directory name must never be steerable by whoever chose the id. */
    private static String safe(String id) {
        if (id == null || id.isEmpty()) {
            return "x";
        }
        String cleaned = id.replaceAll("[^A-Za-z0-9_-]", "_");
        return cleaned.length() > 40 ? cleaned.substring(0, 40) : cleaned;
    }

    private static boolean waitFor(Process process, Duration timeout) {
        long deadline = System.nanoTime() + Math.max(0, timeout.toNanos());
        while (true) {
            try {
                return process.waitFor(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                // The worker is shutting down or cancelling: treat it as an immediate timeout, kill, and report.
                Thread.currentThread().interrupt();
                return false;
            }
        }
    }

}
