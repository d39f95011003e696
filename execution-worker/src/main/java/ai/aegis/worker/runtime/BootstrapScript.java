package ai.aegis.worker.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The {@code bootstrap.py} that every sandbox runs: shipped as a class-path resource so that each runtime can place it
 * wherever its sandbox expects it (copied into a container, bind-mounted, or written next to a process workspace).
 */
public final class BootstrapScript {

    /** Where the script is inside a sandbox; specs name this path in their argv and runtimes map it. */
    public static final String SANDBOX_PATH = "/aegis/bootstrap.py";

    /** The file name runtimes give the extracted script. */
    public static final String FILE_NAME = "bootstrap.py";

    private static final String RESOURCE = "bootstrap.py";

    private BootstrapScript() {
    }

    /** The script's bytes (a fresh copy on every call). */
    public static byte[] bytes() {
        return Holder.BYTES.clone();
    }

    /**
     * Writes the script into {@code dir} (created if needed) as {@value #FILE_NAME}, readable but not writable by
     * others, replacing any file already there.
     *
     * @return the written file
     */
    public static Path extractTo(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path target = dir.resolve(FILE_NAME);
        Path tmp = Files.createTempFile(dir, ".bootstrap", ".tmp");
        try {
            Files.write(tmp, Holder.BYTES);
            setReadOnlyPermissions(tmp);
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
        return target;
    }

    private static void setReadOnlyPermissions(Path file) throws IOException {
        try {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("r--r--r--"));
        } catch (UnsupportedOperationException e) {
            // Non-POSIX file systems: the default permissions are the best we can do.
        }
    }

    /** Lazy holder: the resource is read once, on first use, and a missing resource is a packaging bug. */
    private static final class Holder {
        private static final byte[] BYTES = load();

        private static byte[] load() {
            try (InputStream in = BootstrapScript.class.getResourceAsStream(RESOURCE)) {
                if (in == null) {
                    throw new IllegalStateException("resource " + RESOURCE + " is missing next to "
                            + BootstrapScript.class.getName());
                }
                return in.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + RESOURCE, e);
            }
        }
    }
}
