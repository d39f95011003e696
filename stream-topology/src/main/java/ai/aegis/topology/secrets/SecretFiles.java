package ai.aegis.topology.secrets;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Secrets a node makes for itself at its first start (the local API token, the SMCP signing key), kept under its
 * data directory readable by its own user only. The file is created with mode 0600 from the start (never written
 * first and restricted after), under a temporary name, and moved into place only once complete, so a crash leaves
 * no half-written secret and two processes racing to create one end up sharing the first.
 */
public final class SecretFiles {

    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    private SecretFiles() {
    }

    /**
     * Creates {@code file} with {@code content} unless it exists.
     *
     * @return false when the file existed already (then it is left as it is)
     */
    public static boolean createIfAbsent(Path file, byte[] content) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        if (Files.exists(file)) {
            return false;
        }
        Path temp = Files.createTempFile(dir, "." + file.getFileName() + ".", ".tmp",
                PosixFilePermissions.asFileAttribute(OWNER_ONLY));
        try {
            Files.write(temp, content);
            try {
                // a hard link fails when the name exists: the first process's secret wins, atomically
                Files.createLink(file, temp);
                return true;
            } catch (FileAlreadyExistsException raced) {
                return false;
            } catch (UnsupportedOperationException | IOException noLinks) {
                if (Files.exists(file)) {
                    return false;
                }
                Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE);
                return true;
            }
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /** Whether anyone but the owner may read or write {@code file} (a secret that should be 0600 and is not). */
    public static boolean othersMayAccess(Path file) throws IOException {
        try {
            Set<PosixFilePermission> p = Files.getPosixFilePermissions(file);
            return p.contains(PosixFilePermission.GROUP_READ) || p.contains(PosixFilePermission.OTHERS_READ)
                    || p.contains(PosixFilePermission.GROUP_WRITE) || p.contains(PosixFilePermission.OTHERS_WRITE);
        } catch (UnsupportedOperationException notPosix) {
            return false;
        }
    }
}
