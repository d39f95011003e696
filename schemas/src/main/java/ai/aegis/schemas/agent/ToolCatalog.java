package ai.aegis.schemas.agent;

import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The tool names an agent may list in {@code spec.tools}: the built-in tools, a family of them ({@code fs.*}), and
 * the tools of MCP servers, named {@code <server>.<tool>} (or {@code <server>.*} for all of a server's tools). MCP
 * servers are configured on the workers, not known where agents are deployed: a name that is neither built in nor
 * of a built-in family is taken as an MCP tool and checked when an iteration starts (a tool no server offers is
 * simply not offered). A name of a built-in family that is not one of its tools ({@code fs.chmod}) is refused.
 */
public final class ToolCatalog {

    /** Runs a command in the agent's sandbox through the dispatch protocol. */
    public static final String CMD_RUN = "cmd.run";
    public static final String FS_READ = "fs.read";
    public static final String FS_WRITE = "fs.write";
    public static final String FS_LIST = "fs.list";
    public static final String FS_CREATE_DIR = "fs.create_dir";
    public static final String FS_DELETE = "fs.delete";
    public static final String FS_EDIT = "fs.edit";
    public static final String FS_GREP = "fs.grep";

    /** The file tools, which work on the execution's workspace, in the order they are offered. */
    public static final List<String> FILE_TOOLS = List.of(FS_READ, FS_WRITE, FS_LIST, FS_CREATE_DIR, FS_DELETE,
            FS_EDIT, FS_GREP);

    /** Every built-in tool. */
    public static final Set<String> AVAILABLE = Set.of(CMD_RUN, FS_READ, FS_WRITE, FS_LIST, FS_CREATE_DIR,
            FS_DELETE, FS_EDIT, FS_GREP);

    /** The prefixes of the built-in families: a name under them must be a built-in tool. */
    private static final Set<String> BUILT_IN_FAMILIES = Set.of("cmd", "fs");

    /** {@code server.tool}, {@code server.*}, {@code fs.*}: a lower-case prefix, a dot, then the tool or {@code *}. */
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_-]*\\.(\\*|[A-Za-z0-9_][A-Za-z0-9_./-]*)");

    private ToolCatalog() {
    }

    /** @return null when {@code name} may be listed in {@code spec.tools}, else why not */
    public static String problem(String name) {
        if (AVAILABLE.contains(name)) {
            return null;
        }
        if (name == null || !NAME.matcher(name).matches()) {
            return "'" + name + "' is not a tool name (built-in tools " + new java.util.TreeSet<>(AVAILABLE)
                    + ", a family such as fs.*, or an MCP server's tool as <server>.<tool> or <server>.*)";
        }
        String family = name.substring(0, name.indexOf('.'));
        if (BUILT_IN_FAMILIES.contains(family) && !name.endsWith(".*")) {
            return "unknown tool '" + name + "' (available: " + new java.util.TreeSet<>(AVAILABLE) + ")";
        }
        return null;
    }

    /** Whether {@code tool} is one of the tools that {@code listed} (a name of {@code spec.tools}) stands for. */
    public static boolean covers(String listed, String tool) {
        if (listed.endsWith(".*")) {
            return tool.startsWith(listed.substring(0, listed.length() - 1));
        }
        return listed.equals(tool);
    }
}
