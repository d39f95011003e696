package ai.aegis.worker.smcp.policy;

import java.util.Locale;

/** Why the policy refused a tool call (reference §8.6, plus the command and response-size kinds of the docs' table). */
public enum ViolationType {
    TOOL_NOT_ALLOWED,
    TOOL_EXPLICITLY_DENIED,
    RATE_LIMIT_EXCEEDED,
    PATH_OUTSIDE_BOUNDARY,
    PATH_TRAVERSAL_ATTEMPT,
    DOMAIN_NOT_ALLOWED,
    COMMAND_NOT_ALLOWED,
    MISSING_REQUIRED_ARGUMENT,
    RESPONSE_TOO_LARGE;

    /** The name on the wire and in metrics labels: {@code tool_not_allowed}, ... */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
