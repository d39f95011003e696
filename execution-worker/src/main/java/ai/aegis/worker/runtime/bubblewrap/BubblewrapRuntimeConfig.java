package ai.aegis.worker.runtime.bubblewrap;

import java.nio.file.Path;

/**
 * Settings of the {@link BubblewrapRuntime}.
 *
 * @param bwrap         the {@code bwrap} executable (Debian package {@code bubblewrap})
 * @param workspaceBase host directory under which each run gets a private directory (its workspace, its copy of
 *                      bootstrap.py, its synthetic passwd/group); removed after the run
 * @param python        interpreter that replaces an argv[0] of {@code python3} or {@code python}; an absolute path
 *                      under {@code /usr}, because only {@code /usr} is visible inside the sandbox and a
 *                      {@code python3} found on the worker's PATH may be a pyenv shim elsewhere
 */
public record BubblewrapRuntimeConfig(Path bwrap, Path workspaceBase, Path python) {

    public static final Path DEFAULT_BWRAP = Path.of("/usr/bin/bwrap");
    public static final Path DEFAULT_PYTHON = Path.of("/usr/bin/python3");

    public BubblewrapRuntimeConfig {
        bwrap = bwrap == null ? DEFAULT_BWRAP : bwrap;
        workspaceBase = workspaceBase == null ? Path.of(System.getProperty("java.io.tmpdir")) : workspaceBase;
        python = python == null ? DEFAULT_PYTHON : python;
    }

    /** {@code /usr/bin/bwrap}, {@code java.io.tmpdir} and {@code /usr/bin/python3}. */
    public static BubblewrapRuntimeConfig defaults() {
        return new BubblewrapRuntimeConfig(null, null, null);
    }
}
