package ai.aegis.worker.runtime;

import ai.aegis.schemas.json.Json;
import ai.aegis.worker.runtime.process.OutputCapture;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * {@code supervisor.py}, the host process between the worker and one sandbox of the bubblewrap or the process
 * runtime. The worker hands it the whole request on its stdin, never on a command line, and keeps stdin open while
 * the sandbox runs: when stdin closes, because the runtime closed it or because the worker's JVM died, the
 * supervisor ends the sandbox and everything in it. That is how a sandbox never outlives its worker, even a worker
 * killed with SIGKILL, which runs no clean-up of its own.
 *
 * <p>Its command line is {@code python3 -I -S .../supervisor.py}: isolated mode, so nothing of an environment can
 * steer the interpreter, and no environment at all (the sandbox's goes in the request).
 */
public final class HostSupervisor implements AutoCloseable {

    public static final String FILE_NAME = "supervisor.py";
    /** The supervisor's exit status when the sandbox could not be set up (the reason is on its stderr). */
    public static final int SETUP_FAILED = 125;

    private static final ScriptResource SCRIPT = new ScriptResource(FILE_NAME);

    /** What the supervisor is asked to run; serialised as the one line of JSON it reads first. */
    public sealed interface Request permits ProcessRequest, BubblewrapRequest {
        /** {@code process} or {@code bwrap}. */
        @JsonProperty("mode")
        String mode();

        /** The file the supervisor appends its JSON status lines to ({@code child-pid}, {@code exit-code}). */
        String statusFile();
    }

    /**
     * A plain child process, in a session of its own, with exactly {@code env} as its environment.
     *
     * @param cwd its working directory
     */
    public record ProcessRequest(List<String> argv, Map<String, String> env, String cwd, String statusFile)
            implements Request {
        public ProcessRequest {
            argv = List.copyOf(argv);
            env = Map.copyOf(env);
        }

        @Override
        public String mode() {
            return "process";
        }
    }

    /**
     * {@code bwrap --args FD -- command...}: the options travel through a pipe, so that the environment they set
     * (with {@code --setenv}) is on no command line.
     *
     * @param args    bwrap's options, without {@code --json-status-fd} and {@code --block-fd}, which the supervisor
     *                adds with the descriptors it made
     * @param command what runs inside the sandbox (an argv without secrets)
     * @param network set when the sandbox gets its own network: slirp4netns connects it before the command starts
     */
    public record BubblewrapRequest(String bwrap, List<String> args, List<String> command, String statusFile,
                                    Network network) implements Request {
        public BubblewrapRequest {
            args = List.copyOf(args);
            command = List.copyOf(command);
        }

        @Override
        public String mode() {
            return "bwrap";
        }
    }

    /**
     * @param slirp4netns the executable
     * @param timeoutMs   how long slirp4netns may take to bring the sandbox's interface up
     */
    public record Network(String slirp4netns, long timeoutMs) {
    }

    private final Process process;
    private final OutputStream control;

    private HostSupervisor(Process process) {
        this.process = process;
        this.control = process.getOutputStream();
    }

    /** Writes {@code supervisor.py} into {@code dir}, read-only. */
    public static Path extractTo(Path dir) throws IOException {
        return SCRIPT.extractTo(dir);
    }

    /**
     * Starts the supervisor with an empty environment in {@code dir} and sends it the request. Its stdout and stderr
     * are the sandbox's.
     *
     * @param python an absolute interpreter path
     * @param script the extracted {@code supervisor.py}
     * @param log    null: stdout and stderr are pipes to read; else both go to this file
     * @throws IOException when it cannot be started or does not take the request (it is then killed)
     */
    public static HostSupervisor start(Path python, Path script, Path dir, Request request, Path log)
            throws IOException {
        Objects.requireNonNull(request, "request");
        ProcessBuilder builder = new ProcessBuilder(python.toString(), "-I", "-S", script.toString())
                .directory(dir.toFile());
        builder.environment().clear();
        if (log != null) {
            builder.redirectErrorStream(true).redirectOutput(log.toFile());
        }
        HostSupervisor supervisor = new HostSupervisor(builder.start());
        try {
            supervisor.control.write((Json.write(request) + "\n").getBytes(StandardCharsets.UTF_8));
            supervisor.control.flush();
        } catch (IOException e) {
            HostProcesses.killTree(supervisor.process);
            supervisor.close();
            throw new IOException("the sandbox supervisor (" + python + ") did not take its request: "
                    + e.getMessage(), e);
        }
        return supervisor;
    }

    public Process process() {
        return process;
    }

    /**
     * How a supervised sandbox ended.
     *
     * @param result     what the runtime reports; {@link SandboxResult.Ending#KILLED} when the calling thread was
     *                   interrupted (its flag is set again once the sandbox is gone)
     * @param commandRan false when the supervisor exited without the command having run: a failed set-up, whose
     *                   reason is in {@code result.stderr()}
     */
    public record Finished(SandboxResult result, boolean commandRan) {
    }

    /**
     * Starts the supervisor and runs the sandbox to its end: the output captured as it comes (bounded by the spec's
     * cap), the whole tree killed at the timeout or when the caller is interrupted, never a hang.
     */
    public static Finished run(Path python, Path script, Path dir, Request request, SandboxSpec spec,
                               ContainerRuntime.OutputListener listener) throws SandboxException {
        long started = System.nanoTime();
        HostSupervisor supervisor;
        try {
            supervisor = start(python, script, dir, request, null);
        } catch (IOException e) {
            throw new SandboxException("cannot start the sandbox supervisor with " + python, e);
        }
        try (supervisor) {
            Process process = supervisor.process();
            OutputCapture stdout = new OutputCapture("stdout", process.getInputStream(), listener,
                    spec.maxOutputBytes());
            OutputCapture stderr = new OutputCapture("stderr", process.getErrorStream(), listener,
                    spec.maxOutputBytes());
            Thread outReader = Thread.ofVirtual().name("sandbox-stdout-" + process.pid()).start(stdout);
            Thread errReader = Thread.ofVirtual().name("sandbox-stderr-" + process.pid()).start(stderr);

            SandboxResult.Ending ending = waitFor(process, spec.timeout());
            if (ending != SandboxResult.Ending.EXITED) {
                HostProcesses.killTree(process);
            }
            HostProcesses.joinReaders(process, outReader, errReader);
            Duration duration = Duration.ofNanos(System.nanoTime() - started);
            boolean killed = ending != SandboxResult.Ending.EXITED || process.isAlive();
            if (ending == SandboxResult.Ending.KILLED) {
                Thread.currentThread().interrupt();
            }
            SandboxResult result = new SandboxResult(killed ? SandboxResult.NO_EXIT_CODE : process.exitValue(),
                    stdout.text(), stderr.text(), stdout.truncated() || stderr.truncated(), ending, duration);
            return new Finished(result, killed || commandRan(Path.of(request.statusFile())));
        }
    }

    /** Exited, timed out, or {@link SandboxResult.Ending#KILLED} when the caller was interrupted. */
    private static SandboxResult.Ending waitFor(Process process, Duration timeout) {
        try {
            return process.waitFor(Math.max(0, timeout.toNanos()), TimeUnit.NANOSECONDS)
                    ? SandboxResult.Ending.EXITED : SandboxResult.Ending.TIMED_OUT;
        } catch (InterruptedException e) {
            return SandboxResult.Ending.KILLED; // the flag is restored once the sandbox is gone
        }
    }

    /** True when the status file says the sandboxed command ran to an exit (not a failed set-up). */
    public static boolean commandRan(Path statusFile) {
        try {
            return Files.readString(statusFile).contains("\"exit-code\"");
        } catch (IOException e) {
            return false;
        }
    }

    /** Closes the supervisor's stdin: a sandbox still running is ended by it. */
    @Override
    public void close() {
        try {
            control.close();
        } catch (IOException ignored) {
            // the supervisor is gone already
        }
    }
}
