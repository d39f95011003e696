package ai.aegis.worker.runtime.bubblewrap;

import java.nio.file.Path;

/**
 * Settings of the {@link BubblewrapRuntime}. Every null argument takes its default.
 *
 * @param bwrap         the {@code bwrap} executable (Debian package {@code bubblewrap}, 0.8 or newer)
 * @param workspaceBase host directory under which each run gets a private directory (its copy of bootstrap.py and
 *                      of the supervisor, its input files, its synthetic passwd/group); removed after the run
 * @param python        interpreter that replaces an argv[0] of {@code python3} or {@code python}, and that runs the
 *                      host-side supervisor; an absolute path under {@code /usr}, because only {@code /usr} is
 *                      visible inside the sandbox and a {@code python3} found on the worker's PATH may be a pyenv
 *                      shim elsewhere
 * @param slirp4netns   the {@code slirp4netns} executable (Debian package {@code slirp4netns}) that connects the
 *                      network namespace of a sandbox whose manifest allows network; without it such a manifest's
 *                      executions are refused
 */
public record BubblewrapRuntimeConfig(Path bwrap, Path workspaceBase, Path python, Path slirp4netns) {

    public static final Path DEFAULT_BWRAP = Path.of("/usr/bin/bwrap");
    public static final Path DEFAULT_PYTHON = Path.of("/usr/bin/python3");
    public static final Path DEFAULT_SLIRP4NETNS = Path.of("/usr/bin/slirp4netns");

    public BubblewrapRuntimeConfig {
        bwrap = bwrap == null ? DEFAULT_BWRAP : bwrap;
        workspaceBase = workspaceBase == null ? Path.of(System.getProperty("java.io.tmpdir")) : workspaceBase;
        python = python == null ? DEFAULT_PYTHON : python;
        slirp4netns = slirp4netns == null ? DEFAULT_SLIRP4NETNS : slirp4netns;
    }

    /** {@code /usr/bin/bwrap}, {@code java.io.tmpdir}, {@code /usr/bin/python3} and {@code /usr/bin/slirp4netns}. */
    public static BubblewrapRuntimeConfig defaults() {
        return new BubblewrapRuntimeConfig(null, null, null, null);
    }

    /** The defaults, with each run's directory under {@code workspaceBase}. */
    public static BubblewrapRuntimeConfig under(Path workspaceBase) {
        return new BubblewrapRuntimeConfig(null, workspaceBase, null, null);
    }
}
