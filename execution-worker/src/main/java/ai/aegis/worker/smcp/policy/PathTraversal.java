package ai.aegis.worker.smcp.policy;

/**
 * A path that {@link WorkspacePaths#normalise} refuses. Unchecked (an {@link IllegalArgumentException}): a bad path
 * is a bad argument, and the policy turns it into a violation.
 */
public final class PathTraversal extends IllegalArgumentException {

    /** Why the path was refused. */
    public enum Reason {
        /** A {@code ..} component, wherever it is: refused even when the result would stay inside the root. */
        PARENT_REFERENCE,
        /** A NUL character, which the operating system would cut the path at. */
        NUL_CHARACTER,
        /** An absolute path that is neither the root nor below it. */
        OUTSIDE_ROOT
    }

    private final String path;
    private final Reason reason;

    public PathTraversal(String path, Reason reason, String message) {
        super(message);
        this.path = path;
        this.reason = reason;
    }

    /** The path as given. */
    public String path() {
        return path;
    }

    public Reason reason() {
        return reason;
    }
}
