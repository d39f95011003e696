package ai.aegis.worker.runtime.bubblewrap;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Builds bwrap's command line. The sandbox sees a read-only {@code /usr} (with the host's {@code /bin}, {@code /lib}
 * ... reproduced as the same symlinks or binds), a hand-picked read-only slice of {@code /etc}, fresh {@code /proc},
 * {@code /dev} and {@code /tmp}, and one writable directory: {@code /workspace}. Everything else of the host (homes,
 * {@code /root}, {@code /work}, {@code /var}, {@code /run}, sockets) simply does not exist inside.
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
            "nsswitch.conf", "host.conf", "hosts", "resolv.conf", "gai.conf", "services", "protocols", "networks",
            "ssl", "ca-certificates", "ca-certificates.conf", // TLS when the manifest allows network
            "profile", "bash.bashrc", "inputrc");

    /** Package-specific configuration that /usr points back into, e.g. /usr/lib/jvm/x/conf -> /etc/java-17-x. */
    private static final List<String> ETC_PREFIXES = List.of("python3", "java-", "perl");

    private BwrapArguments() {
    }

    /** The namespace, identity and file-system options shared by every sandbox and by the availability probe. */
    static List<String> base(boolean network) {
        List<String> args = new ArrayList<>(List.of(
                "--unshare-all", // user, pid, ipc, uts, cgroup, mount and network namespaces
                "--die-with-parent", "--new-session",
                "--uid", Integer.toString(RunDirectory.SANDBOX_UID), "--gid", Integer.toString(RunDirectory.SANDBOX_GID),
                "--cap-drop", "ALL",
                "--ro-bind", "/usr", "/usr"));
        if (network) {
            args.add("--share-net");
        }
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
        args.addAll(List.of("--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"));
        return args;
    }

    /**
     * The full bwrap argument list (without the bwrap executable itself) for one run.
     *
     * @param dispatchSocket host socket to expose at {@code sandboxSocket}, or null
     * @param env            the complete environment of the sandboxed command
     * @param command        what runs inside, already wrapped in prlimit when limits apply
     */
    static List<String> forRun(RunDirectory dir, boolean network, Path dispatchSocket, String sandboxSocket,
                               String sandboxScript, Map<String, String> env, List<String> command) {
        List<String> args = base(network);
        args.addAll(List.of("--json-status-fd", "3"));
        for (String entry : etcEntries()) {
            args.addAll(List.of("--ro-bind-try", "/etc/" + entry, "/etc/" + entry));
        }
        args.addAll(List.of("--ro-bind", dir.passwd().toString(), "/etc/passwd"));
        args.addAll(List.of("--ro-bind", dir.group().toString(), "/etc/group"));
        args.addAll(List.of("--ro-bind", dir.bootstrap().toString(), sandboxScript));
        if (dispatchSocket != null) {
            // read-only is enough: connect(2) on a socket is not a write to the file system
            args.addAll(List.of("--ro-bind", dispatchSocket.toString(), sandboxSocket));
        }
        args.addAll(List.of("--bind", dir.workspace().toString(), SANDBOX_WORKSPACE));
        // The sandbox's root is a tmpfs bwrap made; once every mount point exists, nothing more may be created in it.
        args.addAll(List.of("--remount-ro", "/"));
        args.addAll(List.of("--chdir", SANDBOX_WORKSPACE, "--clearenv"));
        env.forEach((name, value) -> args.addAll(List.of("--setenv", name, value)));
        args.add("--");
        args.addAll(command);
        return args;
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
