package ai.aegis.worker.runtime.docker;

import ai.aegis.worker.runtime.BootstrapScript;
import ai.aegis.worker.runtime.ContainerRuntime;
import ai.aegis.worker.runtime.OutputTail;
import ai.aegis.worker.runtime.SandboxException;
import ai.aegis.worker.runtime.SandboxResult;
import ai.aegis.worker.runtime.SandboxSpec;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.AccessMode;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.Network;
import com.github.dockerjava.api.model.PullResponseItem;
import com.github.dockerjava.api.model.Volume;
import com.github.dockerjava.api.model.WaitResponse;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.httpclient5.ApacheDockerHttpClient;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.attribute.UserPrincipal;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs each sandbox as a fresh Docker container (docker-java over the engine's API; also Podman's Docker API).
 *
 * <p>What every container gets: no network (mode {@code none}) unless the spec allows it, memory (without swap), CPU
 * and pids limits, all capabilities dropped, {@code no-new-privileges}, a read-only root file system, a non-root
 * user, two tmpfs mounts of the spec's disk size, {@code /workspace} (the user's own) and {@code /tmp},
 * {@code bootstrap.py} and the spec's input files bind-mounted read-only at {@link BootstrapScript#SANDBOX_PATH} and
 * {@link SandboxSpec#SANDBOX_INPUTS}, and the dispatch socket (when the spec has one) at
 * {@link SandboxSpec#SANDBOX_SOCKET}. The command is the spec's argv itself (no keep-alive process and no exec),
 * attached before start so no output is lost. The container is removed at the end whatever happened.
 *
 * <p>Disk: tmpfs mounts, because the container's writable layer cannot be limited on most engines
 * ({@code --storage-opt size} needs overlay2 on xfs with project quotas) and a host bind mount cannot be limited at
 * all. Their pages count against the container's memory limit, so the smaller of the two limits binds first.
 *
 * <p>Orphans: each container names its owner, this worker process ({@code <prefix>.owner}, see
 * {@link SandboxOwner}). A worker that dies leaves its containers running; {@link #reapLeaked()}, at every worker's
 * start, removes those whose owner is provably gone, and nothing else: not the containers of workers that still run,
 * nor of workers it cannot see (another pid namespace, another machine).
 *
 * <p>With {@code networkAllowed}, the engine's default {@code bridge} network is used. An engine without one (such as
 * a daemon started with {@code --bridge=none}) leaves only {@code host}, which would hand the agent the worker's own
 * network namespace, loopback services included: that is never chosen silently; the run gets {@code none} and a
 * warning instead.
 */
public final class DockerRuntime implements ContainerRuntime, AutoCloseable {

    static final String WORKSPACE = "/workspace";
    static final String DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    /** How long a ping may take before the engine counts as absent. */
    private static final Duration PING_TIMEOUT = Duration.ofSeconds(2);
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    /** The engine answers an attach at once; longer means it is wedged. */
    private static final Duration ATTACH_TIMEOUT = Duration.ofSeconds(15);
    /** After the container ended or was killed: how long the output stream may take to drain. */
    private static final Duration DRAIN_GRACE = Duration.ofSeconds(10);
    private static final Duration PULL_TIMEOUT = Duration.ofMinutes(10);
    /** Room for 128 concurrent sandboxes plus short calls. */
    private static final int MAX_CONNECTIONS = 260;

    private static final System.Logger LOG = System.getLogger(DockerRuntime.class.getName());
    private static final SecureRandom RANDOM = new SecureRandom();

    private final DockerRuntimeConfig config;
    private final List<Bind> extraBinds;
    private final DockerClient docker;
    private final UserPrincipal client;

    /** Connects lazily: no engine call happens before {@link #start()} or the first run. */
    public DockerRuntime(DockerRuntimeConfig config) {
        this.config = Objects.requireNonNull(config, "config");
        this.extraBinds = readOnlyBinds(config.readOnlyBinds());
        try {
            this.client = FileSystems.getDefault().getUserPrincipalLookupService()
                    .lookupPrincipalByName(Long.toString(config.uid()));
        } catch (IOException e) {
            throw new IllegalStateException("cannot resolve uid " + config.uid() + " on this host: " + e.getMessage(),
                    e);
        }
        this.docker = client(config.dockerHost(), CONNECT_TIMEOUT, null);
    }

    /** True when an engine answers a ping at the configured address within about two seconds. */
    public static boolean available(DockerRuntimeConfig config) {
        try (DockerClient client = client(config.dockerHost(), PING_TIMEOUT, PING_TIMEOUT)) {
            client.pingCmd().exec();
            return true;
        } catch (Exception | LinkageError e) {
            LOG.log(System.Logger.Level.DEBUG, "no container engine at " + config.dockerHost() + ": " + e);
            return false;
        }
    }

    /** Start-up: removes the containers that dead workers left behind, then the runtime is ready. */
    public DockerRuntime start() {
        reapLeaked();
        return this;
    }

    @Override
    public String name() {
        return "docker";
    }

    @Override
    public boolean isolates() {
        return true;
    }

    public DockerRuntimeConfig config() {
        return config;
    }

    /** The engine client, for tests that check what the runtime left behind. */
    DockerClient engine() {
        return docker;
    }

    /**
     * Force-removes the containers labelled {@code <prefix>.managed=true} whose owner is provably gone: a worker
     * process of this machine's current boot and this pid namespace that no longer runs ({@link SandboxOwner}).
     * Containers of live workers, of workers it cannot see, and without an owner label (older versions) are left.
     *
     * @return how many were removed
     */
    public int reapLeaked() {
        List<Container> managed = docker.listContainersCmd().withShowAll(true)
                .withLabelFilter(Map.of(label("managed"), "true")).exec();
        int removed = 0;
        int left = 0;
        for (Container container : managed) {
            Map<String, String> labels = container.getLabels() == null ? Map.of() : container.getLabels();
            boolean orphan = SandboxOwner.parse(labels.get(label("owner")))
                    .map(owner -> owner.provablyGone(owner(), SandboxOwner.Processes.HOST)).orElse(false);
            if (!orphan) {
                left++;
            } else if (remove(container.getId())) {
                removed++;
            }
        }
        if (removed > 0) {
            LOG.log(System.Logger.Level.WARNING, "removed {0} sandbox container(s) whose worker is gone", removed);
        }
        if (left > 0) {
            LOG.log(System.Logger.Level.DEBUG, "left {0} sandbox container(s) of live or unknown workers", left);
        }
        return removed;
    }

    /** This worker, as its containers name it. */
    private static SandboxOwner owner() {
        return Owner.SELF;
    }

    /** Computed once, on first use: the answer never changes while the JVM lives. */
    private static final class Owner {
        private static final SandboxOwner SELF = SandboxOwner.current();
    }

    /** The host user of the container's processes: the configured numeric uid. */
    @Override
    public Optional<UserPrincipal> gatewayClient() {
        return Optional.of(client);
    }

    @Override
    public SandboxResult run(SandboxSpec spec, OutputListener output) throws SandboxException {
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(spec.timeout(), "spec.timeout");
        OutputListener listener = output == null ? (stream, line) -> { } : output;
        String image = image(spec);
        PullPolicy policy = PullPolicy.parse(spec.pullPolicy());
        List<String> command = command(spec.argv());
        List<String> env = environment(spec);
        if (!ensureImage(image, policy)) {
            return interruptedBeforeStart();
        }
        String name = "aegis-" + safe(spec.executionId()) + "-" + spec.iteration() + "-"
                + HexFormat.of().formatHex(randomBytes());
        try (RunDirectory dir = RunDirectory.create(config.workspaceBase(), name, spec.files())) {
            String id = create(name, image, command, env, spec, dir);
            try {
                return runContainer(id, spec, listener);
            } finally {
                remove(id);
            }
        }
    }

    private static byte[] randomBytes() {
        byte[] bytes = new byte[3];
        RANDOM.nextBytes(bytes);
        return bytes;
    }

    // ------------------------------------------------------------------------------------------------ image

    private String image(SandboxSpec spec) throws SandboxException {
        if (spec.image() != null && !spec.image().isBlank()) {
            return spec.image().trim();
        }
        if (spec.language() != null && !spec.language().isBlank()) {
            return config.registry().image(spec.language(), spec.languageVersion());
        }
        if (config.defaultImage() != null) {
            return config.defaultImage();
        }
        throw new SandboxException("the sandbox spec names neither an image nor a language, and the docker runtime"
                + " has no default image configured");
    }

    enum PullPolicy {
        ALWAYS, IF_NOT_PRESENT, NEVER;

        static PullPolicy parse(String text) throws SandboxException {
            if (text == null || text.isBlank()) {
                return IF_NOT_PRESENT;
            }
            return switch (text.trim().toLowerCase(Locale.ROOT).replace("_", "").replace("-", "")) {
                case "always" -> ALWAYS;
                case "ifnotpresent" -> IF_NOT_PRESENT;
                case "never" -> NEVER;
                default -> throw new SandboxException("unknown image pull policy '" + text
                        + "': use Always, IfNotPresent or Never");
            };
        }
    }

    /** @return false when the calling thread was interrupted while pulling */
    private boolean ensureImage(String image, PullPolicy policy) throws SandboxException {
        boolean present = imagePresent(image);
        if (policy == PullPolicy.NEVER && !present) {
            throw new SandboxException("image " + image + " is not present on the container engine and the pull"
                    + " policy is Never: load it into the engine first, or use IfNotPresent");
        }
        if (policy == PullPolicy.ALWAYS || !present) {
            return pull(image);
        }
        return true;
    }

    private boolean imagePresent(String image) throws SandboxException {
        try {
            docker.inspectImageCmd(image).exec();
            return true;
        } catch (NotFoundException e) {
            return false;
        } catch (RuntimeException e) { // docker-java reports transport failures as several unchecked kinds
            throw new SandboxException("cannot inspect image " + image + " on the container engine at "
                    + config.dockerHost() + ": " + e.getMessage(), e);
        }
    }

    private boolean pull(String image) throws SandboxException {
        String repository = image;
        String tag = null;
        if (!image.contains("@")) {
            int slash = image.lastIndexOf('/');
            int colon = image.lastIndexOf(':');
            if (colon > slash) {
                repository = image.substring(0, colon);
                tag = image.substring(colon + 1);
            } else {
                tag = "latest"; // without a tag the engine would pull every tag of the repository
            }
        }
        AtomicReference<String> pullError = new AtomicReference<>();
        Streaming<PullResponseItem> callback = new Streaming<>(item -> {
            if (item.getErrorDetail() != null) {
                pullError.set(item.getErrorDetail().getMessage());
            }
        });
        try {
            var command = docker.pullImageCmd(repository);
            if (tag != null) {
                command = command.withTag(tag);
            }
            command.exec(callback);
            if (!callback.awaitEnded(PULL_TIMEOUT)) {
                throw new SandboxException("pulling image " + image + " took longer than " + PULL_TIMEOUT);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (RuntimeException e) {
            throw new SandboxException("cannot pull image " + image + ": " + e.getMessage(), e);
        } finally {
            callback.close();
        }
        String why = pullError.get() != null ? pullError.get()
                : callback.error() != null ? callback.error().getMessage() : null;
        if (why != null || !imagePresent(image)) {
            throw new SandboxException("cannot pull image " + image + (why == null ? "" : ": " + why));
        }
        return true;
    }

    // -------------------------------------------------------------------------------------------- container

    private List<String> command(List<String> argv) throws SandboxException {
        if (argv == null || argv.isEmpty()) {
            throw new SandboxException("the sandbox spec has an empty argv");
        }
        List<String> command = new ArrayList<>(argv);
        String first = command.getFirst();
        if ("python3".equals(first) || "python".equals(first)) {
            command.set(0, config.python());
        }
        return command;
    }

    /** Exactly the spec's environment, plus what a process needs inside this container. */
    private static List<String> environment(SandboxSpec spec) throws SandboxException {
        Map<String, String> env = new LinkedHashMap<>();
        if (spec.env() != null) {
            for (Map.Entry<String, String> entry : spec.env().entrySet()) {
                String key = entry.getKey();
                if (key == null || key.isEmpty() || key.indexOf('=') >= 0 || key.indexOf('\0') >= 0) {
                    throw new SandboxException("invalid environment variable name in the sandbox spec: " + key);
                }
                env.put(key, entry.getValue() == null ? "" : entry.getValue());
            }
        }
        // Container paths, whatever the host values the caller may have passed: the agent sees only these.
        env.put("HOME", WORKSPACE);
        env.put("AEGIS_WORKSPACE", WORKSPACE);
        env.putIfAbsent("PATH", DEFAULT_PATH);
        env.putIfAbsent("LANG", "C.UTF-8");
        if (spec.dispatchSocket() != null) {
            env.put("AEGIS_DISPATCH_SOCKET", SandboxSpec.SANDBOX_SOCKET);
        }
        if (!spec.files().isEmpty()) {
            env.put(SandboxSpec.INPUT_DIR_VARIABLE, SandboxSpec.SANDBOX_INPUTS);
        }
        List<String> list = new ArrayList<>(env.size());
        env.forEach((k, v) -> list.add(k + "=" + v));
        return list;
    }

    private String create(String name, String image, List<String> command, List<String> env, SandboxSpec spec,
                          RunDirectory dir) throws SandboxException {
        List<Bind> binds = new ArrayList<>(extraBinds);
        binds.add(new Bind(dir.bootstrap().toString(), new Volume(BootstrapScript.SANDBOX_PATH), AccessMode.ro));
        if (dir.inputs() != null) {
            binds.add(new Bind(dir.inputs().toString(), new Volume(SandboxSpec.SANDBOX_INPUTS), AccessMode.ro));
        }
        if (spec.dispatchSocket() != null) {
            // Connecting to a socket needs no write access to the mount: read-only keeps the agent from replacing it.
            binds.add(new Bind(spec.dispatchSocket().toAbsolutePath().toString(),
                    new Volume(SandboxSpec.SANDBOX_SOCKET), AccessMode.ro));
        }
        HostConfig host = HostConfig.newHostConfig()
                .withBinds(binds)
                .withNetworkMode(networkMode(spec))
                .withCapDrop(Capability.ALL)
                .withSecurityOpts(List.of("no-new-privileges"))
                .withReadonlyRootfs(true)
                .withTmpFs(Map.of(
                        // exec: agents build and run things in their workspace; the engine's default is noexec
                        WORKSPACE, "rw,exec,nosuid,nodev,size=" + spec.diskBytes() + ",uid=" + config.uid()
                                + ",gid=" + config.gid(),
                        "/tmp", "rw,nosuid,nodev,size=" + spec.diskBytes() + ",mode=1777"))
                .withPidsLimit(spec.pidsLimit() > 0 ? spec.pidsLimit() : SandboxSpec.DEFAULT_PIDS_LIMIT);
        if (spec.memoryBytes() > 0) {
            host.withMemory(spec.memoryBytes()).withMemorySwap(spec.memoryBytes()); // equal: no swap on top
        }
        if (spec.cpuMillicores() > 0) {
            host.withNanoCPUs(spec.cpuMillicores() * 1_000_000L);
        }
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(label("managed"), "true");
        labels.put(label("execution_id"), String.valueOf(spec.executionId()));
        labels.put(label("iteration"), String.valueOf(spec.iteration()));
        labels.put(label("runtime"), "docker");
        labels.put(label("owner"), owner().label());
        try {
            return docker.createContainerCmd(image)
                    .withName(name)
                    .withCmd(command)
                    .withEnv(env)
                    .withWorkingDir(WORKSPACE)
                    .withUser(config.user())
                    .withLabels(labels)
                    .withTty(false)
                    .withStdinOpen(false)
                    .withAttachStdin(false)
                    .withAttachStdout(true)
                    .withAttachStderr(true)
                    .withHostConfig(host)
                    .exec()
                    .getId();
        } catch (RuntimeException e) {
            throw new SandboxException("cannot create container " + name + " from " + image + ": "
                    + e.getMessage(), e);
        }
    }

    private String networkMode(SandboxSpec spec) {
        if (!spec.networkAllowed()) {
            return "none";
        }
        try {
            for (Network network : docker.listNetworksCmd().withNameFilter("bridge").exec()) {
                if ("bridge".equals(network.getName())) {
                    return "bridge";
                }
            }
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot list the engine's networks: " + e);
        }
        LOG.log(System.Logger.Level.WARNING, "execution {0} iteration {1} may use the network, but the container"
                        + " engine has no bridge network and host networking would expose the worker''s own services:"
                        + " running it with network mode none", spec.executionId(), spec.iteration());
        return "none";
    }

    private static boolean hasCause(Throwable t, Class<? extends Throwable> type) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (type.isInstance(c)) {
                return true;
            }
        }
        return false;
    }

    private SandboxResult runContainer(String id, SandboxSpec spec, OutputListener listener) throws SandboxException {
        OutputTail stdout = new OutputTail("stdout", listener, spec.maxOutputBytes());
        OutputTail stderr = new OutputTail("stderr", listener, spec.maxOutputBytes());
        Streaming<Frame> attach = new Streaming<>(frame -> {
            switch (frame.getStreamType()) {
                case STDERR -> stderr.accept(frame.getPayload());
                case STDOUT, RAW -> stdout.accept(frame.getPayload());
                default -> { } // STDIN frames are never sent: the container has no stdin
            }
        });
        boolean interrupted = false;
        SandboxResult.Ending how = SandboxResult.Ending.KILLED;
        Integer exitCode = null;
        String ending = null;
        long started = System.nanoTime();
        try {
            // Attached before start, as `docker run` does, so not even the first line can be missed. No log replay
            // (logs=false): the engine subscribes to the live streams before replaying, so a replay would repeat
            // whatever the container printed in between.
            docker.attachContainerCmd(id).withStdOut(true).withStdErr(true).withFollowStream(true).withLogs(false)
                    .exec(attach);
            if (!attach.awaitStarted(ATTACH_TIMEOUT) || attach.error() != null) {
                throw new SandboxException("cannot attach to container " + id + ": "
                        + (attach.error() == null ? "no answer within " + ATTACH_TIMEOUT : attach.error().getMessage()),
                        attach.error());
            }
            listener.sandboxCreated(id);
            try {
                docker.startContainerCmd(id).exec();
            } catch (RuntimeException e) {
                if (Thread.currentThread().isInterrupted() || hasCause(e, java.nio.channels.ClosedByInterruptException.class)) {
                    // cancelled while the engine was starting it: a cancellation, not a failure to start
                    throw new InterruptedException("interrupted while starting container " + id);
                }
                throw new SandboxException("cannot start container " + id + ": " + e.getMessage(), e);
            }
            started = System.nanoTime();
            AtomicReference<Integer> status = new AtomicReference<>();
            Streaming<WaitResponse> wait = new Streaming<>(response -> status.set(response.getStatusCode()));
            try {
                docker.waitContainerCmd(id).exec(wait);
                long deadline = started + spec.timeout().toNanos();
                if (!wait.awaitEnded(Duration.ofNanos(deadline - System.nanoTime()))) {
                    how = SandboxResult.Ending.TIMED_OUT;
                    ending = "[AEGIS] killed: timed out after " + spec.timeout().toSeconds() + "s";
                } else if (status.get() != null) {
                    exitCode = status.get();
                    how = SandboxResult.Ending.EXITED;
                } else {
                    ending = "[AEGIS] lost the container engine while waiting for the sandbox: "
                            + (wait.error() == null ? "no exit status" : wait.error().getMessage());
                }
            } catch (InterruptedException e) {
                interrupted = true;
                ending = "[AEGIS] killed: the run was cancelled (worker interrupted)";
            } finally {
                wait.close();
            }
            if (exitCode == null) {
                kill(id);
            }
            if (!attach.awaitEnded(DRAIN_GRACE)) {
                LOG.log(System.Logger.Level.WARNING, "the output of container {0} did not end after it exited;"
                        + " output may be incomplete", id);
            }
        } catch (InterruptedException e) {
            interrupted = true;
            ending = "[AEGIS] killed: the run was cancelled (worker interrupted)";
            kill(id);
        } finally {
            attach.close();
            stdout.finish();
            stderr.finish();
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        Duration duration = Duration.ofNanos(System.nanoTime() - started);
        if (exitCode != null && exitCode != 0 && oomKilled(id)) {
            // The engine's word, not the exit code: 137 is also any other SIGKILL. The line stays for the user.
            how = SandboxResult.Ending.OUT_OF_MEMORY;
            ending = SandboxResult.outOfMemoryLine(spec.memoryBytes());
        }
        String err = stderr.text();
        if (ending != null) {
            listener.line("stderr", ending);
            err = err.isEmpty() || err.endsWith("\n") ? err + ending + "\n" : err + "\n" + ending + "\n";
        }
        return new SandboxResult(exitCode == null ? SandboxResult.NO_EXIT_CODE : exitCode, stdout.text(), err,
                stdout.truncated() || stderr.truncated(), how, duration);
    }

    private boolean oomKilled(String id) {
        boolean interrupted = Thread.interrupted();
        try {
            InspectContainerResponse.ContainerState state = docker.inspectContainerCmd(id).exec().getState();
            return state != null && Boolean.TRUE.equals(state.getOOMKilled());
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "cannot inspect container " + id + ": " + e);
            return false;
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void kill(String id) {
        boolean interrupted = Thread.interrupted(); // engine calls must not be cut short by a pending interrupt
        try {
            docker.killContainerCmd(id).exec();
        } catch (NotFoundException | ConflictException e) {
            // already stopped or gone
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot kill container " + id + ": " + e);
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Force-removes a container (and its anonymous volumes); false when it could not be removed. */
    private boolean remove(String id) {
        boolean interrupted = Thread.interrupted();
        try {
            docker.removeContainerCmd(id).withForce(true).withRemoveVolumes(true).exec();
            return true;
        } catch (NotFoundException e) {
            return false;
        } catch (ConflictException e) {
            return false; // removal already in progress elsewhere
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot remove container " + id + "; reapLeaked() will: " + e);
            return false;
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private SandboxResult interruptedBeforeStart() {
        String line = "[AEGIS] cancelled before the sandbox started (worker interrupted)";
        return new SandboxResult(SandboxResult.NO_EXIT_CODE, "", line + "\n", false, SandboxResult.Ending.KILLED,
                Duration.ZERO);
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private String label(String key) {
        return config.labelPrefix() + "." + key;
    }

    /** Names are built from execution ids, which must never steer a container or directory name. */
    private static String safe(String id) {
        if (id == null || id.isEmpty()) {
            return "x";
        }
        String cleaned = id.replaceAll("[^A-Za-z0-9_.-]", "_");
        return cleaned.length() > 40 ? cleaned.substring(0, 40) : cleaned;
    }

    private static List<Bind> readOnlyBinds(List<String> specs) {
        List<Bind> binds = new ArrayList<>();
        for (String spec : specs) {
            String[] parts = spec.split(":");
            if (parts.length < 2 || parts.length > 3 || !parts[0].startsWith("/") || !parts[1].startsWith("/")
                    || (parts.length == 3 && !parts[2].equals("ro"))) {
                throw new IllegalArgumentException("a read-only bind must be /host/path:/container/path[:ro], got "
                        + spec);
            }
            binds.add(new Bind(parts[0], new Volume(parts[1]), AccessMode.ro));
        }
        return List.copyOf(binds);
    }

    /**
     * A client for one engine. The API version is left to negotiation (an old engine answers 1.41, a new one
     * refuses old versions). No response timeout for the runtime's own client: attach and wait streams are quiet for
     * as long as the agent is.
     */
    private static DockerClient client(String host, Duration connectTimeout, Duration responseTimeout) {
        DockerClientConfig clientConfig = DefaultDockerClientConfig.createDefaultConfigBuilder()
                .withDockerHost(host)
                .withDockerTlsVerify(false)
                .build();
        ApacheDockerHttpClient.Builder http = new ApacheDockerHttpClient.Builder()
                .dockerHost(clientConfig.getDockerHost())
                // Each running sandbox holds two streaming connections (attach and wait) for its whole life.
                .maxConnections(MAX_CONNECTIONS)
                .connectionTimeout(connectTimeout);
        if (responseTimeout != null) {
            http.responseTimeout(responseTimeout);
        }
        return DockerClientImpl.getInstance(clientConfig, http.build());
    }

    @Override
    public void close() {
        try {
            docker.close();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "closing the docker client: " + e);
        }
    }
}
