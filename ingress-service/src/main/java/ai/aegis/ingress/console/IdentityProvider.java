package ai.aegis.ingress.console;

import java.net.URI;
import java.util.Map;

/**
 * The two calls the console's OIDC login makes to its issuer, behind an interface so that the flow is tested without
 * one ({@link HttpIdentityProvider} is the real one).
 */
public interface IdentityProvider {

    /** What {@code /.well-known/openid-configuration} says that the login needs. */
    record Endpoints(String issuer, URI authorization, URI token) {
    }

    /** The token endpoint's answer: the tokens, or its OAuth error ({@code error}, {@code error_description}). */
    record TokenAnswer(String accessToken, String idToken, String error, String errorDescription) {
    }

    /** The issuer's endpoints (fetched once and cached by the implementation); throws when it cannot tell. */
    Endpoints endpoints();

    /** POSTs the form to the token endpoint; throws when there is no usable answer (no JSON, unreachable). */
    TokenAnswer redeem(URI tokenEndpoint, Map<String, String> form);
}
