package ai.aegis.worker.smcp.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Decides whether a security context allows a tool call (reference §8.1). Pure: no state, no clock; the rate limit
 * is {@link RateLimiter}'s job, after an {@link PolicyDecision.Allowed}.
 */
public final class PolicyEngine {

    /** Where a program named by a path may live for its basename to count: not the workspace, not /tmp. */
    private static final List<String> SYSTEM_BIN_DIRS = List.of("/bin", "/usr/bin", "/usr/local/bin", "/sbin",
            "/usr/sbin", "/usr/local/sbin");
    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

    private PolicyEngine() {
    }

    /**
     * 1) a tool in the deny list is refused; 2) the capabilities are tried in order, the first that allows the call
     * wins; 3) otherwise the refusal of the most specific matching pattern (exact name, then the longest
     * {@code prefix.*}, then {@code *}; the first of equals) is returned, or {@link ViolationType#TOOL_NOT_ALLOWED}
     * when no pattern matches.
     * <p>
     * Whatever the capability's lists, an {@code fs.*} call needs a {@code path} inside {@link WorkspacePaths#ROOT}
     * and {@code cmd.run} a {@code command}: the tools cannot work otherwise.
     *
     * @param args the call's arguments; {@code null} or a non-object counts as no arguments
     */
    public static PolicyDecision evaluate(SecurityContext ctx, String tool, JsonNode args) {
        if (ctx.denyList().contains(tool)) {
            return new PolicyDecision.Denied(PolicyViolation.of(ViolationType.TOOL_EXPLICITLY_DENIED, tool,
                    "tool '" + tool + "' is on the deny list of security context '" + ctx.name() + "'"));
        }
        JsonNode arguments = args != null && args.isObject() ? args : MissingNode.getInstance();
        PolicyViolation best = null;
        int bestSpecificity = -1;
        for (Capability capability : ctx.capabilities()) {
            if (!capability.matches(tool)) {
                continue;
            }
            Optional<PolicyViolation> refusal = check(capability, tool, arguments);
            if (refusal.isEmpty()) {
                return new PolicyDecision.Allowed(capability);
            }
            if (capability.specificity() > bestSpecificity) {
                best = refusal.get();
                bestSpecificity = capability.specificity();
            }
        }
        if (best != null) {
            return new PolicyDecision.Denied(best);
        }
        List<String> patterns = ctx.capabilities().stream().map(Capability::toolPattern).toList();
        return new PolicyDecision.Denied(PolicyViolation.of(ViolationType.TOOL_NOT_ALLOWED, tool,
                "tool '" + tool + "' is not allowed by security context '" + ctx.name() + "'; allowed tools: "
                        + patterns));
    }

    /** {@link ViolationType#RESPONSE_TOO_LARGE} when the capability caps results and {@code bytes} is above it. */
    public static Optional<PolicyViolation> checkResponseSize(Capability cap, String tool, long bytes) {
        if (cap.maxResponseSize() == null || bytes <= cap.maxResponseSize()) {
            return Optional.empty();
        }
        return Optional.of(PolicyViolation.of(ViolationType.RESPONSE_TOO_LARGE, tool,
                "the result of '" + tool + "' is " + bytes + " bytes, more than the allowed " + cap.maxResponseSize()
                        + " bytes"));
    }

    /** Why {@code capability}, whose pattern matches, refuses the call; empty when it allows it. */
    private static Optional<PolicyViolation> check(Capability capability, String tool, JsonNode args) {
        if (tool.startsWith("fs.")) {
            Optional<PolicyViolation> refusal = checkPath(capability, tool, args);
            if (refusal.isPresent()) {
                return refusal;
            }
        }
        if (tool.equals("cmd.run")) {
            Optional<PolicyViolation> refusal = checkCommand(capability, tool, args);
            if (refusal.isPresent()) {
                return refusal;
            }
        }
        if (capability.domainAllowlist() != null && (tool.startsWith("web.") || args.has("url"))) {
            return checkUrl(capability.domainAllowlist(), tool, args.get("url"));
        }
        return Optional.empty();
    }

    private static Optional<PolicyViolation> checkPath(Capability capability, String tool, JsonNode args) {
        JsonNode value = args.get("path");
        if (value == null || !value.isTextual() || value.asText().isBlank()) {
            return missing(tool, "path", "a path inside " + WorkspacePaths.ROOT);
        }
        String path = value.asText();
        String normalised;
        try {
            normalised = WorkspacePaths.normalise(path);
        } catch (PathTraversal e) {
            if (e.reason() == PathTraversal.Reason.OUTSIDE_ROOT && capability.pathAllowlist() != null) {
                return Optional.of(outside(tool, path, capability.pathAllowlist()));
            }
            ViolationType type = e.reason() == PathTraversal.Reason.OUTSIDE_ROOT ? ViolationType.PATH_OUTSIDE_BOUNDARY
                    : ViolationType.PATH_TRAVERSAL_ATTEMPT;
            return Optional.of(PolicyViolation.of(type, tool, e.getMessage()));
        }
        List<String> allowed = capability.pathAllowlist();
        if (allowed == null || allowed.stream().anyMatch(entry -> covers(entry, normalised))) {
            return Optional.empty();
        }
        return Optional.of(outside(tool, path, allowed));
    }

    /** An allowlist entry covers the path component-wise; relative entries are workspace paths too. */
    private static boolean covers(String entry, String normalised) {
        try {
            return WorkspacePaths.isAtOrBelow(normalised, WorkspacePaths.normalise(entry));
        } catch (PathTraversal e) {
            return false; // an entry outside the workspace can never cover a workspace path
        }
    }

    private static PolicyViolation outside(String tool, String path, List<String> allowed) {
        return PolicyViolation.of(ViolationType.PATH_OUTSIDE_BOUNDARY, tool,
                "path '" + WorkspacePaths.printable(path) + "' is outside the allowed paths " + allowed);
    }

    private static Optional<PolicyViolation> checkCommand(Capability capability, String tool, JsonNode args) {
        JsonNode command = args.get("command");
        if (command == null || !command.isTextual() || command.asText().isBlank()) {
            return missing(tool, "command", "the command line to run");
        }
        JsonNode argv = args.get("args");
        if (argv != null && !argv.isNull() && (!argv.isArray() || !allText(argv))) {
            return commandRefused(tool, "'args' must be an array of strings");
        }
        List<String> programs = capability.commandAllowlist();
        List<String> subcommands = capability.subcommandAllowlist();
        if (programs == null && subcommands == null) {
            return Optional.empty(); // nothing to check: the line is not even parsed
        }
        List<List<String>> commands;
        String line = command.asText();
        if (argv != null && argv.isArray()) {
            List<String> words = new ArrayList<>();
            words.add(line); // one program, no shell: spaces and quotes are part of its name
            argv.forEach(a -> words.add(a.asText()));
            commands = List.of(words);
        } else {
            try {
                commands = ShellLine.commands(line);
            } catch (IllegalArgumentException e) {
                return commandRefused(tool, "command '" + line + "' is refused: " + e.getMessage());
            }
            if (commands.isEmpty()) {
                return commandRefused(tool, "command '" + line + "' runs no program");
            }
        }
        for (List<String> words : commands) {
            String program = words.getFirst();
            if (programs != null && !programAllowed(program, programs)) {
                return commandRefused(tool, "program '" + program + "' is not in the allowed commands " + programs
                        + (program.contains("/") ? " (a path counts by its name only in " + SYSTEM_BIN_DIRS + ")" : ""));
            }
            if (subcommands != null) {
                if (words.size() < 2) {
                    return commandRefused(tool, "'" + program + "' needs one of the allowed subcommands " + subcommands);
                }
                if (!subcommands.contains(words.get(1))) {
                    return commandRefused(tool, "subcommand '" + words.get(1) + "' of '" + program
                            + "' is not in the allowed subcommands " + subcommands);
                }
            }
        }
        return Optional.empty();
    }

    /**
     * Listed as written, or named by a path in a system directory whose last component is listed: {@code /usr/bin/ls}
     * is {@code ls}, but {@code ./ls} or {@code /tmp/ls} is whatever the agent put there.
     */
    static boolean programAllowed(String program, List<String> allowed) {
        if (allowed.contains(program)) {
            return true;
        }
        int slash = program.lastIndexOf('/');
        if (slash < 0) {
            return false;
        }
        String dir = slash == 0 ? "/" : program.substring(0, slash);
        return SYSTEM_BIN_DIRS.contains(dir) && allowed.contains(program.substring(slash + 1));
    }

    private static Optional<PolicyViolation> checkUrl(List<String> domains, String tool, JsonNode url) {
        if (url == null || url.isNull()) {
            return Optional.empty(); // web.search has no url; the tool's own contract requires its arguments
        }
        if (!url.isTextual()) {
            return domainRefused(tool, "argument 'url' must be a string");
        }
        String host;
        try {
            URI uri = new URI(url.asText());
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https")) {
                return domainRefused(tool, "url '" + url.asText() + "' is not an http or https URL");
            }
            host = uri.getHost();
        } catch (URISyntaxException e) {
            host = null;
        }
        if (host == null || host.isEmpty()) {
            return domainRefused(tool, "url '" + url.asText() + "' cannot be parsed into a host name");
        }
        String h = host.toLowerCase(Locale.ROOT);
        if (h.endsWith(".")) {
            h = h.substring(0, h.length() - 1);
        }
        boolean literal = h.startsWith("[") || IPV4.matcher(h).matches(); // an address has no parent domain
        for (String domain : domains) {
            String d = domain.toLowerCase(Locale.ROOT);
            if (h.equals(d) || (!literal && !d.isEmpty() && h.endsWith("." + d))) {
                return Optional.empty();
            }
        }
        return domainRefused(tool, "domain '" + h + "' is not in the allowed domains " + domains);
    }

    private static boolean allText(JsonNode array) {
        for (JsonNode element : array) {
            if (!element.isTextual()) {
                return false;
            }
        }
        return true;
    }

    private static Optional<PolicyViolation> missing(String tool, String argument, String what) {
        return Optional.of(PolicyViolation.of(ViolationType.MISSING_REQUIRED_ARGUMENT, tool,
                "tool '" + tool + "' needs the argument '" + argument + "' (" + what + ")"));
    }

    private static Optional<PolicyViolation> commandRefused(String tool, String message) {
        return Optional.of(PolicyViolation.of(ViolationType.COMMAND_NOT_ALLOWED, tool, message));
    }

    private static Optional<PolicyViolation> domainRefused(String tool, String message) {
        return Optional.of(PolicyViolation.of(ViolationType.DOMAIN_NOT_ALLOWED, tool, message));
    }
}
