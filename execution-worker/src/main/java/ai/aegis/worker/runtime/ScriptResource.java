package ai.aegis.worker.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * A Python script shipped as a class-path resource next to this class, read once on first use, that runtimes write
 * into their run directories. A missing resource is a packaging bug.
 */
final class ScriptResource {

    private final String fileName;
    private volatile byte[] bytes;

    ScriptResource(String fileName) {
        this.fileName = fileName;
    }

    String fileName() {
        return fileName;
    }

    /** A fresh copy of the script's bytes. */
    byte[] bytes() {
        return load().clone();
    }

    /**
     * Writes the script into {@code dir} (created if needed) under its file name, readable but not writable by
     * anyone, replacing any file already there.
     */
    Path extractTo(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path target = dir.resolve(fileName);
        Path tmp = Files.createTempFile(dir, ".script", ".tmp");
        try {
            Files.write(tmp, load());
            setReadOnly(tmp);
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
        return target;
    }

    private byte[] load() {
        byte[] loaded = bytes;
        if (loaded == null) {
            try (InputStream in = ScriptResource.class.getResourceAsStream(fileName)) {
                if (in == null) {
                    throw new IllegalStateException("resource " + fileName + " is missing next to "
                            + ScriptResource.class.getName());
                }
                loaded = in.readAllBytes();
                bytes = loaded;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + fileName, e);
            }
        }
        return loaded;
    }

    static void setReadOnly(Path file) throws IOException {
        try {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("r--r--r--"));
        } catch (UnsupportedOperationException e) {
            // Non-POSIX file systems: the default permissions are the best we can do.
        }
    }
}
