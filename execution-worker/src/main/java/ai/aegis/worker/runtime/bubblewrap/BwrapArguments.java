package ai.aegis.worker.runtime.bubblewrap;

import ai.aegis.worker.runtime.BootstrapScript;
import ai.aegis.worker.runtime.SandboxSpec;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Builds bwrap's options (the supervisor hands them to bwrap through a pipe, never on a command line). The sandbox
 * sees a read-only {@code /usr} (with the host's {@code /bin}, {@code /lib} ... reproduced as the same symlinks or
 * binds), a hand-picked read-only slice of {@code /etc}, fresh {@code /proc} and {@code /dev}, its read-only inputs,
 * and two writable places, {@code /workspace} and {@code /tmp}: tmpfs mounts of the spec's disk size each. Everything
 * else of the host (homes, {@code /root}, {@code /work}, {@code /var}, {@code /run}, sockets) does not exist inside.
 *
 * <p>Namespaces: all of them, the network included, always. A sandbox that may use the network gets its own
 * namespace connected by slirp4netns, never the host's. {@code --disable-userns}: the agent cannot make user
 * namespaces of its own (bwrap nests the sandbox in a second one with the limit set to zero), so it cannot gain
 * capabilities in a namespace it owns to mount or unshare.
 */
final class BwrapArguments {

    static final String SANDBOX_WORKSPACE = "/workspace";
    static final String SANDBOX_PATH = "/usr/local/bin:/usr/bin:/bin";

    /** Top-level entries that merged-/usr hosts make symlinks into /usr and older hosts keep as directories. */
    private static final List<String> USR_ALIASES = List.of("bin", "sbin", "lib", "lib64", "lib32", "libx32");

    /**
     * The parts of /etc that programs need, and nothing that identifies or exposes the host. Not all of /etc: when
     * the worker runs as root, the sandbox's uid maps to host uid 0 (without capabilities), and owner permissions
     * would then let it read root-owned secrets such as /etc/shadow or /etc/ssh keys. passwd and group are synthetic
     * (see {@link RunDirectory}) so the host's accounts stay hidden too. Entries are bound with
     * {@code --ro-bind-try}: a host without one simply lacks it inside.
     */
    private static final List<String> ETC_ENTRIES = List.of(
            "ld.so.cache", "ld.so.conf", "ld.so.conf.d", // dynamic linking
            "alternatives", // Debian's /usr/bin/awk, java ... are symlinks through /etc/alternatives
            "localtime", "timezone", "locale.alias", "mime.types", "magic", "magic.mime",
            "nsswitch.conf", "host.conf", "hosts", "gai.conf", "services", "protocols", "networks",
            "ssl", "ca-certificates", "ca-certificates.conf", // TLS when the manifest allows network
            "profile", "bash.bashrc", "inputrc");

    /** Package-specific configuration that /usr points back into, e.g. /usr/lib/jvm/x/conf -> /etc/java-17-x. */
    private static final List<String> ETC_PREFIXES = List.of("python3", "java-", "perl");

    private BwrapArguments() {
    }

    /**
     * The namespace, identity and file-system options shared by every sandbox and by the availability probe (which
     * thereby checks that this bwrap knows them all).
     *
     * @param diskBytes size of the tmpfs at {@code /tmp}
     */
    static List<String> base(long diskBytes) {
        List<String> args = new ArrayList<>(List.of(
                "--unshare-all", // user, pid, ipc, uts, cgroup, mount and network namespaces
                "--unshare-user", "--disable-userns", // --disable-userns needs the user namespace asked for itself
                "--die-with-parent", "--new-session",
                "--uid", Integer.toString(RunDirectory.SANDBOX_UID), "--gid", Integer.toString(RunDirectory.SANDBOX_GID),
                "--cap-drop", "ALL",
                "--ro-bind", "/usr", "/usr"));
        for (String alias : USR_ALIASES) {
            Path host = Path.of("/", alias);
            try {
                if (Files.isSymbolicLink(host)) {
                    args.addAll(List.of("--symlink", Files.readSymbolicLink(host).toString(), host.toString()));
                } else if (Files.isDirectory(host, LinkOption.NOFOLLOW_LINKS)) {
                    args.addAll(List.of("--ro-bind", host.toString(), host.toString()));
                }
            } catch (IOException e) {
                // unreadable link: leave the entry out, the sandbox then lacks it
            }
        }
        args.addAll(List.of("--proc", "/proc", "--dev", "/dev"));
        args.addAll(tmpfs(diskBytes, "1777", "/tmp"));
        return args;
    }

    /**
     * The full list of bwrap options for one run; the supervisor adds the status and block descriptors, and the
     * command follows them.
     *
     * @param env the complete environment of the sandboxed command
     */
    static List<String> forRun(RunDirectory dir, SandboxSpec spec, Map<String, String> env) {
        List<String> args = base(spec.diskBytes());
        for (String entry : etcEntries()) {
            args.addAll(List.of("--ro-bind-try", "/etc/" + entry, "/etc/" + entry));
        }
        if (spec.networkAllowed()) {
            // the host's resolver may be on its loopback, which the sandbox cannot reach: slirp4netns's forwarder
            args.addAll(List.of("--ro-bind", dir.resolvConf().toString(), "/etc/resolv.conf"));
        } else {
            args.addAll(List.of("--ro-bind-try", "/etc/resolv.conf", "/etc/resolv.conf"));
        }
        args.addAll(List.of("--ro-bind", dir.passwd().toString(), "/etc/passwd"));
        args.addAll(List.of("--ro-bind", dir.group().toString(), "/etc/group"));
        args.addAll(List.of("--ro-bind", dir.bootstrap().toString(), BootstrapScript.SANDBOX_PATH));
        if (!spec.files().isEmpty()) {
            args.addAll(List.of("--ro-bind", dir.inputs().toString(), SandboxSpec.SANDBOX_INPUTS));
        }
        if (spec.dispatchSocket() != null) {
            // read-only is enough: connect(2) on a socket is not a write to the file system
            args.addAll(List.of("--ro-bind", spec.dispatchSocket().toString(), SandboxSpec.SANDBOX_SOCKET));
        }
        args.addAll(tmpfs(spec.diskBytes(), "0700", SANDBOX_WORKSPACE));
        // The sandbox's root is a tmpfs bwrap made; once every mount point exists, nothing more may be created in it.
        args.addAll(List.of("--remount-ro", "/"));
        args.addAll(List.of("--chdir", SANDBOX_WORKSPACE, "--clearenv"));
        env.forEach((name, value) -> args.addAll(List.of("--setenv", name, value)));
        return args;
    }

    /** A tmpfs of at most {@code bytes}, owned by the sandbox's user (bwrap mounts it as that user). */
    private static List<String> tmpfs(long bytes, String mode, String path) {
        return List.of("--size", Long.toString(bytes), "--perms", mode, "--tmpfs", path);
    }

    private static List<String> etcEntries() {
        List<String> entries = new ArrayList<>(ETC_ENTRIES);
        try (DirectoryStream<Path> etc = Files.newDirectoryStream(Path.of("/etc"))) {
            for (Path entry : etc) {
                String name = entry.getFileName().toString();
                if (ETC_PREFIXES.stream().anyMatch(name::startsWith)) {
                    entries.add(name);
                }
            }
        } catch (IOException e) {
            // no listable /etc: the fixed entries are still tried
        }
        return entries;
    }
}
