package ai.aegis.worker.runtime.docker;

import ai.aegis.worker.runtime.BootstrapScript;
import ai.aegis.worker.runtime.SandboxException;
import ai.aegis.worker.runtime.SandboxFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The host side of one run: a private directory (0700, so no other host user can look into or swap the workspace)
 * holding the workspace that is bind-mounted at {@code /workspace} and the extracted {@code bootstrap.py}.
 * The workspace itself is 0777 because the sandbox's user (uid 1000) is not the worker's; the private parent keeps
 * that from mattering on the host. Bind mounts do not traverse the parent, so the container still reaches it.
 */
final class RunDirectory implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(RunDirectory.class.getName());

    private final Path root;
    private final Path workspace;
    private final Path bootstrap;

    private RunDirectory(Path root, Path workspace, Path bootstrap) {
        this.root = root;
        this.workspace = workspace;
        this.bootstrap = bootstrap;
    }

    static RunDirectory create(Path base, String name) throws SandboxException {
        Path root = null;
        try {
            Files.createDirectories(base);
            root = Files.createTempDirectory(base, name + "-");
            // Set explicitly: permissions given at creation are filtered by the umask.
            Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwx------"));
            Path workspace = Files.createDirectory(root.resolve("workspace"));
            Files.setPosixFilePermissions(workspace, PosixFilePermissions.fromString("rwxrwxrwx"));
            Path bootstrap = BootstrapScript.extractTo(root.resolve("aegis"));
            return new RunDirectory(root, workspace, bootstrap);
        } catch (IOException | UnsupportedOperationException e) {
            if (root != null) {
                SandboxFiles.deleteRecursively(root);
            }
            throw new SandboxException("cannot create a run directory under " + base, e);
        }
    }

    Path workspace() {
        return workspace;
    }

    Path bootstrap() {
        return bootstrap;
    }

    @Override
    public void close() {
        SandboxFiles.deleteRecursively(root);
    }

}
