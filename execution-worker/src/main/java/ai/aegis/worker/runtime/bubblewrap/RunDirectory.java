package ai.aegis.worker.runtime.bubblewrap;

import ai.aegis.worker.runtime.BootstrapScript;
import ai.aegis.worker.runtime.HostSupervisor;
import ai.aegis.worker.runtime.SandboxException;
import ai.aegis.worker.runtime.SandboxFiles;
import ai.aegis.worker.runtime.SandboxSpec;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The host side of one sandbox: a private directory ({@code rwx------}) holding bootstrap.py, the input files, a
 * synthetic passwd/group (and resolv.conf when the sandbox has a network of its own), the supervisor and the status
 * file. Nothing in it is writable from inside: the sandbox's writable places are size-limited tmpfs mounts that
 * vanish with it. Deleted as a whole after the run.
 */
final class RunDirectory {

    /** The user the agent runs as inside the sandbox; deliberately not the host's user database. */
    static final int SANDBOX_UID = 1000;
    static final int SANDBOX_GID = 1000;
    /** slirp4netns's built-in DNS forwarder, the only name server a sandbox with network can reach. */
    static final String SLIRP_DNS = "10.0.2.3";

    private static final String PASSWD = "root:x:0:0:root:/root:/usr/sbin/nologin\n"
            + "agent:x:" + SANDBOX_UID + ":" + SANDBOX_GID + ":aegis agent:/workspace:/bin/sh\n"
            + "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";
    private static final String GROUP = "root:x:0:\nagent:x:" + SANDBOX_GID + ":\nnogroup:x:65534:\n";

    private final Path root;

    private RunDirectory(Path root) {
        this.root = root;
    }

    static RunDirectory create(Path base, SandboxSpec spec) throws SandboxException {
        return create(base, "aegis-bwrap-" + safe(spec.executionId()) + "-" + spec.iteration() + "-", spec);
    }

    /** A directory for the availability probe, which has no spec of its own. */
    static RunDirectory forProbe(Path base) throws SandboxException {
        return create(base, "aegis-bwrap-probe-", null);
    }

    private static RunDirectory create(Path base, String prefix, SandboxSpec spec) throws SandboxException {
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
            HostSupervisor.extractTo(root);
            if (spec != null) {
                BootstrapScript.extractTo(root);
                writeReadOnly(dir.passwd(), PASSWD);
                writeReadOnly(dir.group(), GROUP);
                if (!spec.files().isEmpty()) {
                    SandboxFiles.writeInputs(dir.inputs(), spec.files());
                }
                if (spec.networkAllowed()) {
                    writeReadOnly(dir.resolvConf(), "nameserver " + SLIRP_DNS + "\n");
                }
            }
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

    Path bootstrap() {
        return root.resolve(BootstrapScript.FILE_NAME);
    }

    Path supervisor() {
        return root.resolve(HostSupervisor.FILE_NAME);
    }

    /** The spec's input files, bound read-only at {@link SandboxSpec#SANDBOX_INPUTS}. */
    Path inputs() {
        return root.resolve("input");
    }

    Path passwd() {
        return root.resolve("passwd");
    }

    Path group() {
        return root.resolve("group");
    }

    Path resolvConf() {
        return root.resolve("resolv.conf");
    }

    /** Where the supervisor records bwrap's JSON status (child pid, then exit code once the command has ended). */
    Path status() {
        return root.resolve("status.json");
    }

    /** Removes everything. */
    void delete() {
        SandboxFiles.deleteRecursively(root);
    }
}
