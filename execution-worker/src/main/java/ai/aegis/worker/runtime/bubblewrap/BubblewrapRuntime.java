package ai.aegis.worker.runtime.bubblewrap;

import ai.aegis.worker.runtime.BootstrapScript;
import ai.aegis.worker.runtime.ContainerRuntime;
import ai.aegis.worker.runtime.HostProcesses;
import ai.aegis.worker.runtime.SandboxException;
import ai.aegis.worker.runtime.SandboxResult;
import ai.aegis.worker.runtime.SandboxResult.Ending;
import ai.aegis.worker.runtime.SandboxSpec;
import ai.aegis.worker.runtime.process.OutputCapture;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Runs each sandbox with bubblewrap: new user, pid, ipc, uts, cgroup, mount and (unless the manifest allows network)
 * network namespaces; uid/gid 1000 inside with every capability dropped; the host's {@code /usr} read-only, a small
 * read-only slice of {@code /etc}, and a private writable {@code /workspace} that is deleted afterwards. The dispatch
 * socket, when the spec has one, is the sandbox's only way out.
 *
 * <p>Limits: the command runs under {@code prlimit}: RLIMIT_AS = {@code memoryBytes} (address space, not resident
 * memory: crude but enforced by every kernel) and RLIMIT_NPROC = {@code pidsLimit}. The kernel ignores RLIMIT_NPROC
 * for processes whose uid maps to host root, i.e. when the worker itself runs as root. CPU is not limited.
 */
public final class BubblewrapRuntime implements ContainerRuntime {

    static final Path PRLIMIT = Path.of("/usr/bin/prlimit");
    private static final Path ENV = Path.of("/usr/bin/env");
    /** How long to wait for a killed sandbox and for reader threads before giving up on them: never hang. */
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(10);
    /**
     * Starts bwrap with its JSON status on fd 3 (a file in the run directory): Java cannot hand a child an extra
     * descriptor, a shell can. {@code exec} keeps the pid, so killing "the process" kills bwrap itself.
     */
    private static final String STATUS_FD_WRAPPER = "exec 3>\"$0\" && exec \"$@\"";

    private static final System.Logger LOG = System.getLogger(BubblewrapRuntime.class.getName());

    private final BubblewrapRuntimeConfig config;

    public BubblewrapRuntime(BubblewrapRuntimeConfig config) {
        this.config = Objects.requireNonNull(config, "config");
    }

    @Override
    public String name() {
        return "bubblewrap";
    }

    @Override
    public boolean isolates() {
        return true;
    }

    /** True when bwrap exists and can really build a sandbox here (user namespaces may be disabled). */
    public static boolean available(BubblewrapRuntimeConfig config) {
        return unavailableReason(config).isEmpty();
    }

    /**
     * Runs {@code /usr/bin/true} in a sandbox with the same namespaces, identity and mounts as a real run.
     *
     * @return why bubblewrap cannot be used here, or empty when it can
     */
    public static Optional<String> unavailableReason(BubblewrapRuntimeConfig config) {
        if (!Files.isExecutable(config.bwrap())) {
            return Optional.of(config.bwrap() + " is missing or not executable (Debian package: bubblewrap)");
        }
        if (!Files.isExecutable(PRLIMIT)) {
            return Optional.of(PRLIMIT + " is missing (util-linux): sandbox limits cannot be applied");
        }
        List<String> command = new ArrayList<>();
        command.add(config.bwrap().toString());
        command.addAll(BwrapArguments.base(false));
        command.addAll(List.of("--", "/usr/bin/true"));
        Path log = null;
        try {
            log = Files.createTempFile("aegis-bwrap-probe", ".log");
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            builder.environment().clear();
            Process probe = builder.start();
            if (!probe.waitFor(PROBE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                HostProcesses.killTree(probe);
                return Optional.of("a trial sandbox did not finish within " + PROBE_TIMEOUT);
            }
            if (probe.exitValue() != 0) {
                return Optional.of("a trial sandbox failed (exit " + probe.exitValue() + "): "
                        + Files.readString(log).strip() + " (are unprivileged user namespaces disabled?)");
            }
            return Optional.empty();
        } catch (IOException e) {
            return Optional.of("cannot start " + config.bwrap() + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.of("interrupted while probing bubblewrap");
        } finally {
            if (log != null) {
                try {
                    Files.deleteIfExists(log);
                } catch (IOException ignored) {
                    // a leftover probe log in the temporary directory is harmless
                }
            }
        }
    }

    @Override
    public SandboxResult run(SandboxSpec spec, OutputListener output) throws SandboxException {
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(spec.timeout(), "spec.timeout");
        OutputListener listener = output == null ? (stream, line) -> { } : output;
        if (spec.argv() == null || spec.argv().isEmpty()) {
            throw new SandboxException("the sandbox spec has an empty argv");
        }
        if (spec.dispatchSocket() != null && !Files.exists(spec.dispatchSocket())) {
            throw new SandboxException("dispatch socket " + spec.dispatchSocket() + " does not exist");
        }
        Map<String, String> env = environment(spec);
        RunDirectory dir = RunDirectory.create(config.workspaceBase(), spec);
        try {
            return runIn(dir, spec, env, listener);
        } finally {
            dir.delete();
        }
    }

    private SandboxResult runIn(RunDirectory dir, SandboxSpec spec, Map<String, String> env, OutputListener listener)
            throws SandboxException {
        List<String> command = new ArrayList<>(List.of("/bin/sh", "-c", STATUS_FD_WRAPPER,
                dir.status().toString(), config.bwrap().toString()));
        command.addAll(BwrapArguments.forRun(dir, spec.networkAllowed(), spec.dispatchSocket(),
                SandboxSpec.SANDBOX_SOCKET, BootstrapScript.SANDBOX_PATH, env, limited(spec)));
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.root().toFile());
        builder.environment().clear(); // bwrap needs none of the worker's environment, secrets included

        long started = System.nanoTime();
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new SandboxException("cannot start " + config.bwrap(), e);
        }
        try {
            // No stdin: bootstrap.py then reads an empty prompt instead of waiting for input.
            process.getOutputStream().close();
        } catch (IOException ignored) {
            // already gone
        }
        OutputCapture stdout = new OutputCapture("stdout", process.getInputStream(), listener, spec.maxOutputBytes());
        OutputCapture stderr = new OutputCapture("stderr", process.getErrorStream(), listener, spec.maxOutputBytes());
        Thread outReader = Thread.ofVirtual().name("bwrap-stdout-" + process.pid()).start(stdout);
        Thread errReader = Thread.ofVirtual().name("bwrap-stderr-" + process.pid()).start(stderr);

        Ending ending = waitFor(process, spec.timeout());
        if (ending != Ending.EXITED) {
            HostProcesses.killTree(process);
        }
        HostProcesses.joinReaders(process, outReader, errReader);
        Duration duration = Duration.ofNanos(System.nanoTime() - started);
        boolean killed = ending != Ending.EXITED || process.isAlive();
        if (ending == Ending.KILLED) {
            Thread.currentThread().interrupt();
        }
        if (!killed && !commandRan(dir)) {
            // bwrap reports the sandboxed command's exit in its status; without it, bwrap itself failed to set up.
            throw new SandboxException("bubblewrap could not create the sandbox (exit " + process.exitValue() + "): "
                    + stderr.text().strip());
        }
        return new SandboxResult(killed ? SandboxResult.NO_EXIT_CODE : process.exitValue(), stdout.text(),
                stderr.text(), stdout.truncated() || stderr.truncated(), ending, duration);
    }

    /** The spec's environment plus the defaults a sandbox needs; paths are the sandbox's, not the host's. */
    private static Map<String, String> environment(SandboxSpec spec) throws SandboxException {
        Map<String, String> env = new LinkedHashMap<>();
        if (spec.env() != null) {
            for (Map.Entry<String, String> entry : spec.env().entrySet()) {
                String name = entry.getKey();
                if (name == null || name.isEmpty() || name.indexOf('=') >= 0 || name.indexOf('\0') >= 0
                        || (entry.getValue() != null && entry.getValue().indexOf('\0') >= 0)) {
                    throw new SandboxException("invalid environment variable for the sandbox: " + name);
                }
                env.put(name, entry.getValue() == null ? "" : entry.getValue());
            }
        }
        env.putIfAbsent("PATH", BwrapArguments.SANDBOX_PATH);
        env.putIfAbsent("LANG", "C.UTF-8");
        env.put("HOME", BwrapArguments.SANDBOX_WORKSPACE);
        env.put("AEGIS_WORKSPACE", BwrapArguments.SANDBOX_WORKSPACE);
        if (spec.dispatchSocket() != null) {
            env.put("AEGIS_DISPATCH_SOCKET", SandboxSpec.SANDBOX_SOCKET);
        }
        return env;
    }

    /** The command inside the sandbox, under prlimit so the limits hold for it and everything it starts. */
    private List<String> limited(SandboxSpec spec) throws SandboxException {
        if (!Files.isExecutable(PRLIMIT)) {
            throw new SandboxException(PRLIMIT + " is missing: refusing to run a sandbox without its limits");
        }
        long pids = spec.pidsLimit() > 0 ? spec.pidsLimit() : SandboxSpec.DEFAULT_PIDS_LIMIT;
        List<String> command = new ArrayList<>(List.of(PRLIMIT.toString(), "--nproc=" + pids));
        if (spec.memoryBytes() > 0) {
            command.add("--as=" + spec.memoryBytes());
        }
        command.add("--");
        if (spec.env() == null || !spec.env().containsKey("PWD")) {
            // bwrap exports PWD after --chdir, past --clearenv: take it out so the environment is exactly the spec's
            command.addAll(List.of(ENV.toString(), "-u", "PWD", "--"));
        }
        for (int i = 0; i < spec.argv().size(); i++) {
            String arg = spec.argv().get(i);
            command.add(i == 0 && ("python3".equals(arg) || "python".equals(arg)) ? config.python().toString() : arg);
        }
        return command;
    }

    private static boolean commandRan(RunDirectory dir) {
        try {
            return Files.readString(dir.status()).contains("\"exit-code\"");
        } catch (IOException e) {
            return false;
        }
    }

    /** Exited, timed out, or {@link Ending#KILLED} when the worker interrupted the wait (cancel, shutdown). */
    private static Ending waitFor(Process process, Duration timeout) {
        try {
            return process.waitFor(Math.max(0, timeout.toNanos()), TimeUnit.NANOSECONDS)
                    ? Ending.EXITED : Ending.TIMED_OUT;
        } catch (InterruptedException e) {
            return Ending.KILLED; // the flag is restored by the caller once the sandbox is gone
        }
    }

}
