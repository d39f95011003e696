package ai.aegis.worker.smcp.policy;

import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The security contexts by name: the shipped defaults, overridden by configured contexts of the same name (the
 * reference ships none, so that nothing works until {@code aegis-system-operator} is configured; here it exists).
 */
public final class SecurityContexts {

    /** Operators and internal calls: every tool, no constraint. */
    public static final String OPERATOR = "aegis-system-operator";
    /** What an agent without {@code spec.security_context} gets. */
    public static final String DEFAULT = "default";

    /**
     * The programs {@code default} lets {@code cmd.run} start: ordinary tools that read and write files of the
     * sandbox. Left out: anything that talks to the network (curl, wget, nc, ssh, git, pip, apt), shells and
     * programs whose job is to run another program (sh, bash, env, xargs, nohup, timeout, nice, exec, eval, sudo),
     * env and printenv (they print the environment's secrets), and tar (--to-command). python, awk, find -exec and
     * sed can still run anything: the list keeps an agent to its job, the sandbox's isolation is the boundary.
     * kill only reaches processes of the sandbox.
     */
    static final List<String> DEFAULT_COMMANDS = List.of(
            "echo", "printf", "cat", "ls", "pwd", "uname", "date", "whoami", "id", "hostname",
            "head", "tail", "wc", "grep", "sed", "awk", "sort", "uniq", "cut", "tr", "tee", "find", "stat", "du",
            "mkdir", "rmdir", "touch", "cp", "mv", "rm", "diff", "cmp", "test", "[", "true", "false", "sleep", "kill",
            "expr", "seq", "basename", "dirname", "realpath", "sha256sum", "md5sum", "base64", "nproc",
            "python3", "python");

    private static final List<SecurityContext> DEFAULTS = List.of(
            new SecurityContext(OPERATOR, "Operators and the system itself: every tool, no constraint",
                    List.of(Capability.of("*")), Set.of()),
            new SecurityContext(DEFAULT,
                    "Agents without a security context: files of the workspace and ordinary local commands",
                    List.of(new Capability("fs.*", List.of(WorkspacePaths.ROOT), null, null, null, null, null),
                            new Capability("cmd.run", null, DEFAULT_COMMANDS, null, null, null, null)),
                    Set.of()));

    private final Map<String, SecurityContext> byName;

    private SecurityContexts(Map<String, SecurityContext> byName) {
        this.byName = Collections.unmodifiableMap(byName);
    }

    public static SecurityContexts defaults() {
        return of(List.of());
    }

    /**
     * The defaults, each replaced by a configured context of the same name, then the other configured ones in order.
     *
     * @throws IllegalArgumentException when two configured contexts have the same name
     */
    public static SecurityContexts of(List<SecurityContext> configured) {
        Map<String, SecurityContext> byName = new LinkedHashMap<>();
        DEFAULTS.forEach(c -> byName.put(c.name(), c));
        Set<String> seen = new HashSet<>();
        for (SecurityContext context : configured) {
            if (!seen.add(context.name())) {
                throw new IllegalArgumentException("security context '" + context.name() + "' is configured twice");
            }
            byName.put(context.name(), context);
        }
        return new SecurityContexts(byName);
    }

    public Optional<SecurityContext> get(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    /** In order: the defaults first, then the configured ones. */
    public Collection<SecurityContext> all() {
        return byName.values();
    }
}
