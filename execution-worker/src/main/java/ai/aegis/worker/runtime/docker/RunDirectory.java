package ai.aegis.worker.runtime.docker;

import ai.aegis.worker.runtime.BootstrapScript;
import ai.aegis.worker.runtime.SandboxException;
import ai.aegis.worker.runtime.SandboxFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;

/**
 * The host side of one run: a private directory (0700, so no other host user can look into it) holding the extracted
 * {@code bootstrap.py} and the spec's input files, both bind-mounted read-only into the container. Bind mounts do not
 * traverse the parent, so the container's user (not the worker's) still reads them. The workspace is not here: it is
 * a size-limited tmpfs inside the container.
 */
final class RunDirectory implements AutoCloseable {

    private final Path root;
    private final Path bootstrap;
    private final Path inputs;

    private RunDirectory(Path root, Path bootstrap, Path inputs) {
        this.root = root;
        this.bootstrap = bootstrap;
        this.inputs = inputs;
    }

    static RunDirectory create(Path base, String name, Map<String, String> files) throws SandboxException {
        Path root = null;
        try {
            Files.createDirectories(base);
            root = Files.createTempDirectory(base, name + "-");
            // Set explicitly: permissions given at creation are filtered by the umask.
            Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwx------"));
            Path bootstrap = BootstrapScript.extractTo(root.resolve("aegis"));
            Path inputs = files.isEmpty() ? null : SandboxFiles.writeInputs(root.resolve("input"), files);
            return new RunDirectory(root, bootstrap, inputs);
        } catch (IOException | UnsupportedOperationException e) {
            if (root != null) {
                SandboxFiles.deleteRecursively(root);
            }
            throw new SandboxException("cannot create a run directory under " + base, e);
        }
    }

    Path bootstrap() {
        return bootstrap;
    }

    /** The input files' directory; null when the spec has none. */
    Path inputs() {
        return inputs;
    }

    @Override
    public void close() {
        SandboxFiles.deleteRecursively(root);
    }
}
