package ai.aegis.ingress.auth;

/** The node's authenticator: the local API token, then (when issuers are configured) OIDC access tokens. */
public final class Authenticators {

    private Authenticators() {
    }

    /**
     * @param local the local API token (always accepted: the embedded default's way in)
     * @param oidc  the OIDC verifier, or null when no issuer is configured
     */
    public static Authenticator of(LocalApiToken local, OidcVerifier oidc) {
        if (oidc == null) {
            return local;
        }
        return bearer -> {
            Authenticator.Result byToken = local.authenticate(bearer);
            // a bearer that is no JWT (the local token's form) is not worth parsing; a JWT never is the local token
            return byToken instanceof Authenticator.Authenticated || bearer == null || bearer.indexOf('.') < 0
                    ? byToken : oidc.authenticate(bearer);
        };
    }
}
