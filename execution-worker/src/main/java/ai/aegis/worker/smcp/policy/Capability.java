package ai.aegis.worker.smcp.policy;

import java.util.List;
import java.util.Objects;

/**
 * One grant of a security context (reference §8.1). A {@code null} list means "no constraint of that kind"; an
 * empty list allows nothing of that kind.
 *
 * @param toolPattern         {@code *}, an exact tool name, or {@code prefix.*} (any tool {@code prefix.<something>})
 * @param pathAllowlist       {@code fs.*}: the path must equal or be below one entry, component-wise
 * @param commandAllowlist    {@code cmd.run}: every program of the command must be listed
 * @param subcommandAllowlist {@code cmd.run}: the first argument after every program must be listed
 * @param domainAllowlist     a {@code url} argument's host must equal an entry or be a subdomain of one
 * @param rateLimit           calls per period per session, or {@code null}
 * @param maxResponseSize     largest tool result in bytes, or {@code null}
 */
public record Capability(String toolPattern, List<String> pathAllowlist, List<String> commandAllowlist,
                         List<String> subcommandAllowlist, List<String> domainAllowlist, RateLimit rateLimit,
                         Long maxResponseSize) {

    public Capability {
        Objects.requireNonNull(toolPattern, "toolPattern");
        String error = patternError(toolPattern);
        if (error != null) {
            throw new IllegalArgumentException(error);
        }
        pathAllowlist = copy(pathAllowlist);
        commandAllowlist = copy(commandAllowlist);
        subcommandAllowlist = copy(subcommandAllowlist);
        domainAllowlist = copy(domainAllowlist);
        if (maxResponseSize != null && maxResponseSize < 1) {
            throw new IllegalArgumentException("max response size must be positive (got " + maxResponseSize + ")");
        }
    }

    /** A capability without constraints. */
    public static Capability of(String toolPattern) {
        return new Capability(toolPattern, null, null, null, null, null, null);
    }

    public boolean matches(String tool) {
        if (toolPattern.equals("*")) {
            return true;
        }
        if (toolPattern.endsWith(".*")) {
            String prefix = toolPattern.substring(0, toolPattern.length() - 1); // keeps the dot
            return tool.length() > prefix.length() && tool.startsWith(prefix);
        }
        return toolPattern.equals(tool);
    }

    /**
     * How specific the pattern is, to pick the refusal to report: an exact name beats any prefix, a longer prefix a
     * shorter one, and {@code *} comes last.
     */
    int specificity() {
        if (toolPattern.equals("*")) {
            return 0;
        }
        return toolPattern.endsWith(".*") ? toolPattern.length() : Integer.MAX_VALUE;
    }

    /** Why {@code pattern} is not a tool pattern, or {@code null}; a stray {@code *} would otherwise never match. */
    static String patternError(String pattern) {
        if (pattern.isBlank()) {
            return "tool pattern must not be blank";
        }
        if (pattern.equals("*")) {
            return null;
        }
        String body = pattern.endsWith(".*") ? pattern.substring(0, pattern.length() - 2) : pattern;
        if (body.isEmpty() || body.contains("*") || !body.strip().equals(body)) {
            return "tool pattern '" + pattern + "' must be *, a tool name, or prefix.*";
        }
        return null;
    }

    private static List<String> copy(List<String> list) {
        return list == null ? null : List.copyOf(list);
    }
}
