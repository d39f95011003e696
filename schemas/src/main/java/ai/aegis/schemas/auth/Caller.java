package ai.aegis.schemas.auth;

import java.util.Objects;
import java.util.Set;

/**
 * Who made an API call and what they may do, as the ingress's authentication established it (the local API token,
 * or a verified OIDC token): routes read it from the request context under {@link #CONTEXT_KEY}, never from a header.
 *
 * @param name   who: the token's {@code preferred_username}, else its {@code sub}; {@link Subject#LOCAL_TOKEN}
 * @param roles  the Aegis roles among the token's roles ({@link #OPERATOR}, {@link #VIEWER}, {@link #APPROVER})
 * @param issuer the token's issuer; null for the local API token
 */
public record Caller(String name, Set<String> roles, String issuer) {

    /** Classifier of the caller in a request's context. */
    public static final String CONTEXT_KEY = "aegis.caller";
    /** Does everything. */
    public static final String OPERATOR = "aegis-operator";
    /** Only reads: GET routes and streams. */
    public static final String VIEWER = "aegis-viewer";
    /** Reads, and approves or rejects human approvals. */
    public static final String APPROVER = "aegis-approver";
    /** The roles Aegis knows, in the order of how much they may do. */
    public static final Set<String> ROLES = Set.of(OPERATOR, APPROVER, VIEWER);

    /** The caller of the local API token: an operator. */
    public static final Caller LOCAL = new Caller(Subject.LOCAL_TOKEN, Set.of(OPERATOR), null);

    public Caller {
        Objects.requireNonNull(name, "name");
        roles = Set.copyOf(roles);
    }

    public boolean operator() {
        return roles.contains(OPERATOR);
    }

    /** Every Aegis role reads. */
    public boolean mayRead() {
        return operator() || roles.contains(VIEWER) || roles.contains(APPROVER);
    }

    public boolean mayDecideApprovals() {
        return operator() || roles.contains(APPROVER);
    }
}
