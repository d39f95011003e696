package ai.aegis.worker.smcp.policy;

import java.util.Objects;
import java.util.StringJoiner;

/**
 * Paths of the execution's workspace as the tools see them. Purely lexical: symlinks are checked later, inside the
 * sandbox.
 */
public final class WorkspacePaths {

    /** Where the workspace is mounted in the sandbox; relative paths resolve against it. */
    public static final String ROOT = "/workspace";

    private WorkspacePaths() {
    }

    /**
     * The absolute, normalised form of {@code path}: relative paths resolve against {@link #ROOT}, repeated slashes,
     * {@code .} components and a trailing slash are removed ({@code //workspace//a/./b/} → {@code /workspace/a/b}).
     *
     * @throws PathTraversal when a component is {@code ..}, when the path contains NUL, or when the result is not
     *                       {@link #ROOT} or below it
     */
    public static String normalise(String path) {
        Objects.requireNonNull(path, "path");
        if (path.indexOf('\0') >= 0) {
            throw new PathTraversal(path, PathTraversal.Reason.NUL_CHARACTER,
                    "path '" + printable(path) + "' contains a NUL character");
        }
        String absolute = path.startsWith("/") ? path : ROOT + "/" + path;
        StringJoiner result = new StringJoiner("/", "/", "");
        for (String component : absolute.split("/")) {
            if (component.equals("..")) {
                throw new PathTraversal(path, PathTraversal.Reason.PARENT_REFERENCE,
                        "path '" + path + "' contains '..'; give a path inside " + ROOT + " without parent references");
            }
            if (!component.isEmpty() && !component.equals(".")) {
                result.add(component);
            }
        }
        String normalised = result.toString();
        if (!isAtOrBelow(normalised, ROOT)) {
            throw new PathTraversal(path, PathTraversal.Reason.OUTSIDE_ROOT,
                    "path '" + path + "' is outside the workspace " + ROOT);
        }
        return normalised;
    }

    /** Component-wise: {@code /workspace/src} covers {@code /workspace/src/a}, not {@code /workspace/srcx}. */
    static boolean isAtOrBelow(String normalised, String base) {
        if (base.equals("/")) {
            return normalised.startsWith("/");
        }
        return normalised.equals(base) || normalised.startsWith(base + "/");
    }

    /** NUL shown as {@code \0}, so that a message can be logged and shown. */
    static String printable(String path) {
        return path.replace("\0", "\\0");
    }
}
