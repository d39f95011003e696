package ai.aegis.ingress.auth;

import ai.aegis.schemas.auth.Caller;

/**
 * Establishes who presents a bearer token: the local API token, or an OIDC access token. Both transports (the public
 * port's {@link AuthFilter} and the stream listener) ask the same one.
 */
public interface Authenticator {

    /** The outcome of one check. */
    sealed interface Result permits Authenticated, Refused {
    }

    record Authenticated(Caller caller) implements Result {
    }

    /**
     * @param error       the RFC 6750 error: {@code invalid_request} (no token) or {@code invalid_token}
     * @param description for people, in {@code WWW-Authenticate} and the body; never the token
     */
    record Refused(String error, String description) implements Result {
    }

    /** @param bearer the token presented, or null when there was none */
    Result authenticate(String bearer);

    /** The refusal of a call without a token. */
    static Refused missing() {
        return new Refused("invalid_request", "Missing bearer token");
    }
}
