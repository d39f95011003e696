package ai.aegis.worker.runtime.bubblewrap;

import ai.aegis.worker.runtime.ContainerRuntime;
import ai.aegis.worker.runtime.HostProcesses;
import ai.aegis.worker.runtime.HostSupervisor;
import ai.aegis.worker.runtime.SandboxException;
import ai.aegis.worker.runtime.SandboxResult;
import ai.aegis.worker.runtime.SandboxSpec;

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
 * Runs each sandbox with bubblewrap: new user (nested twice, so that the agent cannot make one of its own), pid, ipc,
 * uts, cgroup, mount and network namespaces; uid/gid 1000 inside with every capability dropped; the host's
 * {@code /usr} read-only, a small read-only slice of {@code /etc}, the spec's input files read-only, and two
 * size-limited tmpfs mounts, {@code /workspace} and {@code /tmp}, that vanish with the sandbox. The dispatch socket,
 * when the spec has one, is the sandbox's way to the worker.
 *
 * <p>Network: a sandbox whose spec allows it gets a network namespace of its own, connected to the outside by
 * slirp4netns (outbound connections only; the host's loopback refused, so none of the worker's, the broker's or
 * anyone's local services). Without slirp4netns such a spec is refused with the reason: never the host's network.
 *
 * <p>Every sandbox runs under the {@link HostSupervisor}, which starts bwrap with its options (environment included)
 * read from a pipe, so no secret and no input is on a command line, and which ends the sandbox when the worker goes
 * away, even by SIGKILL ({@code --die-with-parent} ties bwrap to the supervisor, the supervisor to the worker).
 *
 * <p>Limits: the command runs under {@code prlimit}: RLIMIT_AS = {@code memoryBytes} (address space, not resident
 * memory: crude but enforced by every kernel) and RLIMIT_NPROC = {@code pidsLimit}. The kernel ignores RLIMIT_NPROC
 * for processes whose uid maps to host root, i.e. when the worker itself runs as root. CPU is not limited. The two
 * tmpfs mounts hold at most {@code diskBytes} each, in the host's memory.
 */
public final class BubblewrapRuntime implements ContainerRuntime {

    static final Path PRLIMIT = Path.of("/usr/bin/prlimit");
    private static final Path ENV = Path.of("/usr/bin/env");
    private static final Path TUN = Path.of("/dev/net/tun");
    /** How long the trial sandbox may take: never hang a worker's start. */
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(10);
    /** How long slirp4netns may take to bring a sandbox's network up. */
    private static final Duration NETWORK_TIMEOUT = Duration.ofSeconds(10);
    private static final long PROBE_DISK_BYTES = 1L << 20;

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
     * Runs {@code /usr/bin/true} under the supervisor in a sandbox with the same namespaces, identity and mounts as a
     * real run.
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
        if (!Files.isExecutable(config.python())) {
            return Optional.of(config.python() + " is missing: it runs bootstrap.py and the sandbox supervisor");
        }
        RunDirectory dir;
        try {
            dir = RunDirectory.forProbe(config.workspaceBase());
        } catch (SandboxException e) {
            return Optional.of(e.getMessage());
        }
        HostSupervisor.BubblewrapRequest request = new HostSupervisor.BubblewrapRequest(config.bwrap().toString(),
                BwrapArguments.base(PROBE_DISK_BYTES), List.of("/usr/bin/true"), dir.status().toString(), null);
        Path log = dir.root().resolve("probe.log");
        try (HostSupervisor probe = HostSupervisor.start(config.python(), dir.supervisor(), dir.root(), request,
                log)) {
            Process process = probe.process();
            if (!process.waitFor(PROBE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                HostProcesses.killTree(process);
                return Optional.of("a trial sandbox did not finish within " + PROBE_TIMEOUT);
            }
            if (process.exitValue() != 0 || !HostSupervisor.commandRan(dir.status())) {
                return Optional.of("a trial sandbox failed (exit " + process.exitValue() + "): "
                        + Files.readString(log).strip() + " (are unprivileged user namespaces disabled, or is"
                        + " bwrap older than 0.8?)");
            }
            return Optional.empty();
        } catch (IOException e) {
            return Optional.of("cannot start a trial sandbox: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.of("interrupted while probing bubblewrap");
        } finally {
            dir.delete();
        }
    }

    /** Why a sandbox here cannot have a network of its own (then a spec that allows network is refused). */
    public static Optional<String> networkUnavailableReason(BubblewrapRuntimeConfig config) {
        if (!Files.isExecutable(config.slirp4netns())) {
            return Optional.of(config.slirp4netns() + " is missing (Debian package: slirp4netns)");
        }
        if (!Files.exists(TUN)) {
            return Optional.of(TUN + " does not exist (kernel module tun)");
        }
        return Optional.empty();
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
        HostSupervisor.Network network = spec.networkAllowed() ? network() : null;
        Map<String, String> env = environment(spec);
        List<String> command = limited(spec);
        RunDirectory dir = RunDirectory.create(config.workspaceBase(), spec);
        try {
            return runIn(dir, spec, new HostSupervisor.BubblewrapRequest(config.bwrap().toString(),
                    BwrapArguments.forRun(dir, spec, env), command, dir.status().toString(), network), listener);
        } finally {
            dir.delete();
        }
    }

    private HostSupervisor.Network network() throws SandboxException {
        Optional<String> why = networkUnavailableReason(config);
        if (why.isPresent()) {
            throw new SandboxException("the agent may use the network (spec.security.network.mode: allow), but this"
                    + " worker cannot give a bubblewrap sandbox a network of its own: " + why.get()
                    + "; refused rather than run on the host's network");
        }
        return new HostSupervisor.Network(config.slirp4netns().toString(), NETWORK_TIMEOUT.toMillis());
    }

    private SandboxResult runIn(RunDirectory dir, SandboxSpec spec, HostSupervisor.BubblewrapRequest request,
                                OutputListener listener) throws SandboxException {
        HostSupervisor.Finished finished = HostSupervisor.run(config.python(), dir.supervisor(), dir.root(), request,
                spec, listener);
        if (!finished.commandRan()) {
            // bwrap reports the sandboxed command's exit in its status; without it, the set-up failed.
            throw new SandboxException("bubblewrap could not create the sandbox (exit "
                    + finished.result().exitCode() + "): " + finished.result().stderr().strip());
        }
        return finished.result();
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
        if (!spec.files().isEmpty()) {
            env.put(SandboxSpec.INPUT_DIR_VARIABLE, SandboxSpec.SANDBOX_INPUTS);
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
}
