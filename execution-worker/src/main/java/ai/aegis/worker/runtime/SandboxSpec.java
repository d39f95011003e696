package ai.aegis.worker.runtime;

import ai.aegis.schemas.agent.AgentManifests;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What one sandbox runs. Build one with {@link #newBuilder()}, where the defaults are.
 *
 * @param executionId     the execution, for labels and workspace names
 * @param iteration       1-based iteration number
 * @param image           container image, or null to choose one from {@code language}/{@code languageVersion}
 *                        (ignored by runtimes without images)
 * @param argv            the command, e.g. {@code [python3, /aegis/bootstrap.py]}; runtimes map
 *                        {@link BootstrapScript#SANDBOX_PATH} to where they put the script. Every user of the host
 *                        can read a process's arguments: never put a secret or the task's input here ({@code files})
 * @param env             the complete environment of the sandbox (already allow-listed by the caller); it reaches
 *                        the sandbox's processes and no command line
 * @param files           read-only input files by name (such as {@link BootstrapScript#PROMPT_FILE}), UTF-8 text;
 *                        runtimes put them in a directory that {@code AEGIS_INPUT_DIR} names inside the sandbox
 *                        ({@link #SANDBOX_INPUTS} where the runtime mounts it)
 * @param timeout         wall-clock limit; on expiry the sandbox is killed and the result says timedOut
 * @param maxOutputBytes  cap for each of stdout and stderr kept in the result (the tail is kept)
 * @param cpuMillicores   CPU limit where the runtime can enforce it, 0 for none
 * @param memoryBytes     memory limit where the runtime can enforce it, 0 for none
 * @param networkAllowed  whether the agent may open network connections
 * @param language        with {@code languageVersion}: the runtime registry picks the image when {@code image} is null
 * @param languageVersion see {@code language}
 * @param pullPolicy      Always | IfNotPresent | Never
 * @param pidsLimit       maximum number of processes in the sandbox, 0 for the runtime's default
 * @param dispatchSocket  host path of a Unix socket that reaches the dispatch gateway; runtimes expose it inside the
 *                        sandbox at {@link #SANDBOX_SOCKET} (null: the sandbox reaches the gateway over TCP)
 * @param diskBytes       size limit of each writable place of the sandbox ({@code /workspace} and {@code /tmp})
 *                        where the runtime can enforce it; the manifest's {@code spec.security.resources.disk}
 *
 * <p>Cancellation: when the calling thread is interrupted, a runtime kills and removes the sandbox, returns what it
 * captured, and leaves the thread's interrupt flag set.
 */
public record SandboxSpec(String executionId, int iteration, String image, List<String> argv, Map<String, String> env,
                          Map<String, String> files, Duration timeout, long maxOutputBytes, long cpuMillicores,
                          long memoryBytes, long diskBytes, boolean networkAllowed, String language,
                          String languageVersion, String pullPolicy, long pidsLimit, Path dispatchSocket) {

    /** Where the dispatch socket appears inside a sandbox; {@code AEGIS_DISPATCH_SOCKET} names this path. */
    public static final String SANDBOX_SOCKET = "/aegis/dispatch.sock";
    /** Where the input files appear inside a mounting runtime's sandbox; {@code AEGIS_INPUT_DIR} names the place. */
    public static final String SANDBOX_INPUTS = "/aegis/input";
    /** The environment variable that tells the sandbox where its input files are. */
    public static final String INPUT_DIR_VARIABLE = "AEGIS_INPUT_DIR";
    public static final long DEFAULT_PIDS_LIMIT = 256;
    public static final String DEFAULT_PULL_POLICY = "IfNotPresent";
    /** The manifest's default, for sandboxes that no manifest describes (a workflow's container run). */
    public static final long DEFAULT_DISK_BYTES = AgentManifests.DEFAULT_DISK_BYTES;

    public SandboxSpec {
        files = files == null ? Map.of() : Map.copyOf(files);
        for (String name : files.keySet()) {
            if (!name.matches("[A-Za-z0-9][A-Za-z0-9._-]*")) {
                throw new IllegalArgumentException("an input file name must be a plain file name: " + name);
            }
        }
        if (diskBytes <= 0) {
            throw new IllegalArgumentException("diskBytes must be positive, got " + diskBytes);
        }
    }

    /**
     * A builder with the defaults: iteration 1, an empty environment, no input files, no limits on CPU and memory,
     * 1 GiB of disk (the manifest's default), {@value #DEFAULT_PIDS_LIMIT} processes, no network, no image
     * selection (the runtime's own image), pull policy {@value #DEFAULT_PULL_POLICY}, no dispatch socket. The
     * execution id, the command, the timeout and the output cap have no sensible default and must be set.
     */
    public static Builder newBuilder() {
        return new Builder();
    }

    /** A builder that starts from this spec. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** Builds a {@link SandboxSpec}; not thread-safe. */
    public static final class Builder {

        private String executionId;
        private int iteration = 1;
        private String image;
        private List<String> argv;
        private Map<String, String> env = Map.of();
        private Map<String, String> files = Map.of();
        private Duration timeout;
        private Long maxOutputBytes; // no default: the worker's configured cap, always given
        private long cpuMillicores;
        private long memoryBytes;
        private long diskBytes = DEFAULT_DISK_BYTES;
        private boolean networkAllowed;
        private String language;
        private String languageVersion;
        private String pullPolicy = DEFAULT_PULL_POLICY;
        private long pidsLimit = DEFAULT_PIDS_LIMIT;
        private Path dispatchSocket;

        private Builder() {
        }

        private Builder(SandboxSpec spec) {
            executionId = spec.executionId;
            iteration = spec.iteration;
            image = spec.image;
            argv = spec.argv;
            env = spec.env;
            files = spec.files;
            timeout = spec.timeout;
            maxOutputBytes = spec.maxOutputBytes;
            cpuMillicores = spec.cpuMillicores;
            memoryBytes = spec.memoryBytes;
            diskBytes = spec.diskBytes;
            networkAllowed = spec.networkAllowed;
            language = spec.language;
            languageVersion = spec.languageVersion;
            pullPolicy = spec.pullPolicy;
            pidsLimit = spec.pidsLimit;
            dispatchSocket = spec.dispatchSocket;
        }

        public Builder setExecutionId(String executionId) {
            this.executionId = executionId;
            return this;
        }

        public Builder setIteration(int iteration) {
            this.iteration = iteration;
            return this;
        }

        /** A fully qualified image; null lets {@link #setLanguage} choose one. */
        public Builder setImage(String image) {
            this.image = image;
            return this;
        }

        public Builder setArgv(List<String> argv) {
            this.argv = argv;
            return this;
        }

        public Builder setEnv(Map<String, String> env) {
            this.env = env;
            return this;
        }

        /** Input files by name; they replace any set before. */
        public Builder setFiles(Map<String, String> files) {
            this.files = files;
            return this;
        }

        public Builder setTimeout(Duration timeout) {
            this.timeout = timeout;
            return this;
        }

        public Builder setMaxOutputBytes(long maxOutputBytes) {
            this.maxOutputBytes = maxOutputBytes;
            return this;
        }

        public Builder setCpuMillicores(long cpuMillicores) {
            this.cpuMillicores = cpuMillicores;
            return this;
        }

        public Builder setMemoryBytes(long memoryBytes) {
            this.memoryBytes = memoryBytes;
            return this;
        }

        public Builder setDiskBytes(long diskBytes) {
            this.diskBytes = diskBytes;
            return this;
        }

        public Builder setNetworkAllowed(boolean networkAllowed) {
            this.networkAllowed = networkAllowed;
            return this;
        }

        /** The language and its version that the runtime registry maps to an image when no image is set. */
        public Builder setLanguage(String language, String languageVersion) {
            this.language = language;
            this.languageVersion = languageVersion;
            return this;
        }

        public Builder setPullPolicy(String pullPolicy) {
            this.pullPolicy = pullPolicy;
            return this;
        }

        public Builder setPidsLimit(long pidsLimit) {
            this.pidsLimit = pidsLimit;
            return this;
        }

        public Builder setDispatchSocket(Path dispatchSocket) {
            this.dispatchSocket = dispatchSocket;
            return this;
        }

        /** @throws NullPointerException when a value without a default was not set */
        public SandboxSpec build() {
            Objects.requireNonNull(executionId, "executionId");
            Objects.requireNonNull(argv, "argv");
            Objects.requireNonNull(env, "env");
            Objects.requireNonNull(timeout, "timeout");
            Objects.requireNonNull(maxOutputBytes, "maxOutputBytes");
            return new SandboxSpec(executionId, iteration, image, argv, env, files, timeout, maxOutputBytes,
                    cpuMillicores, memoryBytes, diskBytes, networkAllowed, language, languageVersion, pullPolicy,
                    pidsLimit, dispatchSocket);
        }
    }
}
