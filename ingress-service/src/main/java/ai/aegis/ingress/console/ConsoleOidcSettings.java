package ai.aegis.ingress.console;

import io.helidon.config.Config;

import java.util.Objects;

/**
 * {@code aegis.console.oidc}: the identity provider the console's "Sign in with ..." button logs in with (the
 * authorization code flow with PKCE, done by the ingress: {@link ConsoleOidc}). Not configured (no issuer): the
 * console offers only the token field.
 *
 * @param issuer   one of the API's trusted issuers ({@code aegis.auth.oidc.issuers}): the tokens it gives are checked
 *                 as the API checks any (audience, roles), so it must be one the API accepts
 * @param clientId a public client of that issuer, allowed the redirect URI
 *                 {@code <the console's origin>/console/oidc/callback}, whose access tokens carry the API's audience
 *                 and the roles claim
 * @param scope    asked for; must hold {@code openid} (the ID token carries the nonce that is checked)
 */
public record ConsoleOidcSettings(String issuer, String clientId, String scope) {

    public static final String DEFAULT_SCOPE = "openid";
    public static final ConsoleOidcSettings NONE = new ConsoleOidcSettings(null, null, DEFAULT_SCOPE);

    public ConsoleOidcSettings {
        if (issuer != null && issuer.isBlank()) {
            issuer = null;
        }
        if (issuer != null) {
            issuer = issuer.replaceAll("/+$", "");
            if (clientId == null || clientId.isBlank()) {
                throw new IllegalArgumentException("aegis.console.oidc.client-id is required with "
                        + "aegis.console.oidc.issuer");
            }
        }
        scope = scope == null || scope.isBlank() ? DEFAULT_SCOPE : scope.strip();
        if (issuer != null && !java.util.Arrays.asList(scope.split("\\s+")).contains("openid")) {
            throw new IllegalArgumentException("aegis.console.oidc.scope must include openid: " + scope);
        }
    }

    public boolean configured() {
        return issuer != null;
    }

    /** Reads {@code aegis.console.oidc}: {@code issuer}, {@code client-id}, {@code scope}. */
    public static ConsoleOidcSettings read(Config oidc) {
        return new ConsoleOidcSettings(oidc.get("issuer").asString().orElse(null),
                oidc.get("client-id").asString().orElse(null),
                oidc.get("scope").asString().orElse(DEFAULT_SCOPE));
    }

    /** Same issuer, whatever trailing slashes either is written with. */
    public boolean sameIssuer(String other) {
        return configured() && other != null && Objects.equals(issuer, other.replaceAll("/+$", ""));
    }
}
