package ai.aegis.worker.runtime.docker;

import java.nio.file.Path;
import java.util.List;

/**
 * Settings of the {@link DockerRuntime}. Every null or blank argument takes its default.
 *
 * @param dockerHost    engine address, {@code unix:///path} or {@code tcp://host:port} (no TLS); default
 *                      {@code $DOCKER_HOST}, else {@code unix:///var/run/docker.sock}
 * @param readOnlyBinds extra bind mounts as {@code host:container[:ro]}, always mounted read-only (e.g. a host
 *                      {@code /usr} that provides the interpreter in a skeleton image); none by default
 * @param registry      standard runtimes, for specs that name a language instead of an image
 * @param user          {@code uid:gid} or {@code uid} (then the gid is the uid) the sandbox runs as; never root,
 *                      default {@code 1000:1000}. Numeric, because the worker gives the dispatch socket and the
 *                      workspace to that host uid: a user name would be the image's, unknown to the host
 * @param labelPrefix   prefix of the container labels ({@code <prefix>.managed=true}, ...); default {@code aegis}.
 *                      A worker reaps only containers of its prefix (and of those, only the ones whose worker is
 *                      provably gone)
 * @param workspaceBase host directory under which each run gets its private directory; default
 *                      {@code java.io.tmpdir/aegis-docker}
 * @param defaultImage  image for specs that name neither an image nor a language; null: such specs fail
 * @param python        what an argv[0] of {@code python3} or {@code python} becomes; default {@code /usr/bin/python3}
 *                      (absolute, so that no shim found on PATH is used; set {@code python3} for images that only
 *                      have {@code /usr/local/bin/python3}, such as the official python images)
 */
public record DockerRuntimeConfig(String dockerHost, List<String> readOnlyBinds, RuntimeRegistry registry,
                                  String user, String labelPrefix, Path workspaceBase, String defaultImage,
                                  String python) {

    public static final String DEFAULT_SOCKET = "unix:///var/run/docker.sock";
    public static final String DEFAULT_USER = "1000:1000";
    public static final String DEFAULT_LABEL_PREFIX = "aegis";
    /**
     * Resolved through the container's PATH (which puts /usr/local/bin first), so it finds the interpreter of official
     * python images (/usr/local/bin/python3) as well as a host /usr bound into a skeleton image (/usr/bin/python3).
     */
    public static final String DEFAULT_PYTHON = "python3";

    public DockerRuntimeConfig {
        dockerHost = blank(dockerHost) ? defaultDockerHost() : dockerHost.trim();
        readOnlyBinds = readOnlyBinds == null ? List.of() : List.copyOf(readOnlyBinds);
        registry = registry == null ? RuntimeRegistry.builtIn() : registry;
        user = blank(user) ? DEFAULT_USER : user.trim();
        if (!user.matches("[0-9]+(:[0-9]+)?")) {
            throw new IllegalArgumentException("aegis.worker.docker.user must be a numeric uid:gid (the host gives"
                    + " the dispatch socket to that uid), got " + user);
        }
        if (Long.parseLong(user.split(":")[0]) == 0 || user.endsWith(":0")) {
            throw new IllegalArgumentException("the docker runtime never runs sandboxes as root: user " + user);
        }
        labelPrefix = blank(labelPrefix) ? DEFAULT_LABEL_PREFIX : labelPrefix.trim();
        workspaceBase = workspaceBase == null
                ? Path.of(System.getProperty("java.io.tmpdir"), "aegis-docker") : workspaceBase;
        defaultImage = blank(defaultImage) ? null : defaultImage.trim();
        python = blank(python) ? DEFAULT_PYTHON : python.trim();
    }

    /** Every default: the engine from {@code DOCKER_HOST}, no extra binds, the built-in registry. */
    public static DockerRuntimeConfig defaults() {
        return new DockerRuntimeConfig(null, null, null, null, null, null, null, null);
    }

    /** The sandbox's uid. */
    public long uid() {
        return Long.parseLong(user.split(":")[0]);
    }

    /** The sandbox's gid: the one given, else the uid. */
    public long gid() {
        String[] parts = user.split(":");
        return Long.parseLong(parts[parts.length - 1]);
    }

    /** {@code $DOCKER_HOST} when set, else the engine's standard socket. */
    public static String defaultDockerHost() {
        String env = System.getenv("DOCKER_HOST");
        return blank(env) ? DEFAULT_SOCKET : env.trim();
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}
