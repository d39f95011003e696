package ai.aegis.worker.runtime;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;

/** File-system chores every runtime shares for the host side of a sandbox. */
public final class SandboxFiles {

    private static final System.Logger LOG = System.getLogger(SandboxFiles.class.getName());

    private SandboxFiles() {
    }

    /**
     * Writes a spec's input files into a new directory {@code dir}: the directory {@code rwxr-xr-x} and the files
     * {@code r--r--r--}, because the sandbox's user may not be the worker's (the directory holding {@code dir} keeps
     * other host users out). Nothing is followed or replaced: the directory must not exist yet.
     *
     * @return {@code dir}
     */
    public static Path writeInputs(Path dir, Map<String, String> files) throws IOException {
        Files.createDirectory(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        for (Map.Entry<String, String> file : files.entrySet()) {
            Path target = dir.resolve(file.getKey());
            Files.writeString(target, file.getValue(), StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW);
            ScriptResource.setReadOnly(target);
        }
        return dir;
    }

    /**
     * Deletes a sandbox's host directory and everything the agent left in it, including directories it made
     * unreadable or unwritable, never following symbolic links out of it. Failures are logged, not thrown: a leftover
     * directory under the work dir must not fail an execution.
     */
    public static void deleteRecursively(Path root) {
        deleteRecursively(root, true);
    }

    private static void deleteRecursively(Path root, boolean retryUnreadable) {
        if (root == null || !Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                    // The agent may have removed write or search permission from directories it created.
                    dir.toFile().setWritable(true, true);
                    dir.toFile().setExecutable(true, true);
                    dir.toFile().setReadable(true, true);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                    // Typically a directory the agent made unreadable: restore owner access and walk it again.
                    if (retryUnreadable && Files.isDirectory(file, LinkOption.NOFOLLOW_LINKS)
                            && file.toFile().setReadable(true, true) && file.toFile().setExecutable(true, true)) {
                        deleteRecursively(file, false);
                    } else {
                        Files.deleteIfExists(file);
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                    Files.deleteIfExists(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "could not delete sandbox directory " + root + ": " + e);
        }
    }
}
