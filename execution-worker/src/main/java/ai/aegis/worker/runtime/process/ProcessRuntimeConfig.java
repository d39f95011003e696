package ai.aegis.worker.runtime.process;

import java.nio.file.Path;

/**
 * Settings of the {@link ProcessRuntime}.
 *
 * @param python        interpreter that replaces an argv[0] of {@code python3} or {@code python}; an absolute path,
 *                      because a {@code python3} found on PATH may be a shim (pyenv) that needs the environment the
 *                      sandbox deliberately does not inherit; it also runs the host-side sandbox supervisor
 * @param workspaceBase directory under which each run gets its private directory, the workspace in it
 */
public record ProcessRuntimeConfig(Path python, Path workspaceBase) {

    public static final Path DEFAULT_PYTHON = Path.of("/usr/bin/python3");

    public ProcessRuntimeConfig {
        python = python == null ? DEFAULT_PYTHON : python;
        workspaceBase = workspaceBase == null ? Path.of(System.getProperty("java.io.tmpdir")) : workspaceBase;
    }

    /** {@code /usr/bin/python3} and {@code java.io.tmpdir}. */
    public static ProcessRuntimeConfig defaults() {
        return new ProcessRuntimeConfig(null, null);
    }
}
