package ai.aegis.worker.runtime.bubblewrap;

import ai.aegis.worker.runtime.BootstrapScript;
import ai.aegis.worker.runtime.SandboxException;
import ai.aegis.worker.runtime.SandboxFiles;
import ai.aegis.worker.runtime.SandboxSpec;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The host side of one sandbox: a private directory holding the workspace (bound read-write at {@code /workspace}),
 * bootstrap.py, a synthetic passwd/group and bwrap's status file. Only {@code workspace} is writable from inside;
 * the rest sits next to it so the agent can neither see nor alter it. Deleted as a whole after the run.
 */
final class RunDirectory {

    /** The user the agent runs as inside the sandbox; deliberately not the host's user database. */
    static final int SANDBOX_UID = 1000;
    static final int SANDBOX_GID = 1000;

    private static final System.Logger LOG = System.getLogger(RunDirectory.class.getName());

    private static final String PASSWD = "root:x:0:0:root:/root:/usr/sbin/nologin\n"
            + "agent:x:" + SANDBOX_UID + ":" + SANDBOX_GID + ":aegis agent:/workspace:/bin/sh\n"
            + "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";
    private static final String GROUP = "root:x:0:\nagent:x:" + SANDBOX_GID + ":\nnogroup:x:65534:\n";

    private final Path root;

    private RunDirectory(Path root) {
        this.root = root;
    }

    static RunDirectory create(Path base, SandboxSpec spec) throws SandboxException {
        String prefix = "aegis-bwrap-" + safe(spec.executionId()) + "-" + spec.iteration() + "-";
        Path root;
        try {
            Files.createDirectories(base);
            root = Files.createTempDirectory(base, prefix,
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (IOException | UnsupportedOperationException e) {
            throw new SandboxException("cannot create a sandbox directory under " + base, e);
        }
        RunDirectory dir = new RunDirectory(root);
        try {
            Files.createDirectory(dir.workspace());
            BootstrapScript.extractTo(root);
            writeReadOnly(dir.passwd(), PASSWD);
            writeReadOnly(dir.group(), GROUP);
            return dir;
        } catch (IOException e) {
            dir.delete();
            throw new SandboxException("cannot prepare the sandbox directory " + root, e);
        }
    }

    private static void writeReadOnly(Path file, String content) throws IOException {
        Files.writeString(file, content, StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("r--r--r--"));
    }

    /** Execution ids are UUIDs, but a directory name must never be steerable by whoever chose the id. */
    private static String safe(String id) {
        if (id == null || id.isEmpty()) {
            return "x";
        }
        String cleaned = id.replaceAll("[^A-Za-z0-9_-]", "_");
        return cleaned.length() > 40 ? cleaned.substring(0, 40) : cleaned;
    }

    Path root() {
        return root;
    }

    Path workspace() {
        return root.resolve("workspace");
    }

    Path bootstrap() {
        return root.resolve(BootstrapScript.FILE_NAME);
    }

    Path passwd() {
        return root.resolve("passwd");
    }

    Path group() {
        return root.resolve("group");
    }

    /** Where bwrap writes its JSON status (child pid, then exit code once the sandboxed command has ended). */
    Path status() {
        return root.resolve("status.json");
    }

    /** Removes everything, including what the agent made unreadable or unwritable (it ran as our host uid). */
    void delete() {
        SandboxFiles.deleteRecursively(root);
    }

}
