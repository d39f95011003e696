package ai.aegis.worker.runtime.process;

import ai.aegis.worker.runtime.BootstrapScript;
import ai.aegis.worker.runtime.ContainerRuntime;
import ai.aegis.worker.runtime.HostSupervisor;
import ai.aegis.worker.runtime.SandboxException;
import ai.aegis.worker.runtime.SandboxFiles;
import ai.aegis.worker.runtime.SandboxResult;
import ai.aegis.worker.runtime.SandboxSpec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Runs the sandbox as a plain child process of the worker. It gives the agent <em>no</em> isolation: the agent runs
 * as the worker's user and can read whatever the worker can. What it does give: a private workspace directory that is
 * removed afterwards, an environment reduced to exactly what the spec allows (passed to the process, never on a
 * command line), input files instead of arguments, a wall-clock limit, and an end for the whole process tree: the
 * {@link HostSupervisor} between the worker and the agent is the tree's subreaper, kills what the agent left running
 * when it exits, and kills everything when the worker goes away, even by SIGKILL. Only meant for machines with
 * neither Docker nor bubblewrap.
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
        Path root = createRunDirectory(spec);
        try {
            return runIn(root, spec, listener);
        } finally {
            SandboxFiles.deleteRecursively(root);
        }
    }

    private SandboxResult runIn(Path root, SandboxSpec spec, OutputListener listener) throws SandboxException {
        Path workspace = root.resolve("workspace");
        Path script;
        Path supervisorScript;
        Path inputs = null;
        try {
            Files.createDirectory(workspace, PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString("rwx------")));
            // A hidden subdirectory keeps the script out of the way of an agent that lists its workspace.
            script = BootstrapScript.extractTo(workspace.resolve(".aegis"));
            if (!spec.files().isEmpty()) {
                inputs = SandboxFiles.writeInputs(workspace.resolve(".aegis").resolve("input"), spec.files());
            }
            supervisorScript = HostSupervisor.extractTo(root);
        } catch (IOException e) {
            throw new SandboxException("cannot prepare the workspace " + workspace, e);
        }
        Map<String, String> env = new LinkedHashMap<>();
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
        if (inputs != null) {
            env.put(SandboxSpec.INPUT_DIR_VARIABLE, inputs.toString());
        }
        Path status = root.resolve("status.json");
        List<String> argv = argv(spec.argv(), script);

        HostSupervisor.Finished finished = HostSupervisor.run(config.python(), supervisorScript, workspace,
                new HostSupervisor.ProcessRequest(argv, env, workspace.toString(), status.toString()), spec, listener);
        SandboxResult result = finished.result();
        if (!finished.commandRan()) {
            throw new SandboxException("cannot start " + argv.getFirst() + ": " + result.stderr().strip());
        }
        if (result.ending() == SandboxResult.Ending.KILLED) {
            // this runtime reports an interrupt as a timeout (see SandboxResult.Ending.TIMED_OUT)
            return new SandboxResult(result.exitCode(), result.stdout(), result.stderr(), result.truncated(),
                    SandboxResult.Ending.TIMED_OUT, result.duration());
        }
        return result;
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

    /** A private directory for the run: the supervisor and its status, and the workspace. */
    private Path createRunDirectory(SandboxSpec spec) throws SandboxException {
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
}
