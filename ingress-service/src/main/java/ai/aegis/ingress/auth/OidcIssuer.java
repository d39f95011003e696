package ai.aegis.ingress.auth;

import java.net.URI;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * One identity provider whose access tokens the API accepts ({@code aegis.auth.oidc.issuers.N}).
 *
 * @param issuer     the exact {@code iss} of its tokens, e.g. {@code https://sso.example.com/realms/aegis}
 * @param audiences  at least one must be in a token's {@code aud}
 * @param jwksUri    where its signing keys are; null: {@code <issuer>/protocol/openid-connect/certs} (Keycloak's)
 * @param algorithms the JWS algorithms accepted (asymmetric only: {@code none} and HS* are never accepted)
 */
public record OidcIssuer(String issuer, Set<String> audiences, URI jwksUri, List<String> algorithms) {

    /** RSA and EC signatures, as realms sign by default. */
    public static final List<String> DEFAULT_ALGORITHMS = List.of("RS256", "RS384", "RS512", "PS256", "PS384",
            "PS512", "ES256", "ES384", "ES512");

    public OidcIssuer {
        Objects.requireNonNull(issuer, "issuer");
        if (issuer.isBlank()) {
            throw new IllegalArgumentException("an OIDC issuer needs its issuer URL");
        }
        audiences = Set.copyOf(audiences);
        if (audiences.isEmpty()) {
            throw new IllegalArgumentException("the OIDC issuer " + issuer + " needs an audience (aud) to require");
        }
        algorithms = List.copyOf(algorithms.isEmpty() ? DEFAULT_ALGORITHMS : algorithms);
        for (String alg : algorithms) {
            if (!DEFAULT_ALGORITHMS.contains(alg)) {
                throw new IllegalArgumentException("JWS algorithm " + alg + " is not accepted (asymmetric ones only: "
                        + DEFAULT_ALGORITHMS + ")");
            }
        }
    }

    /** Where the keys are: the configured URI, or Keycloak's certs endpoint under the issuer. */
    public URI keys() {
        return jwksUri != null ? jwksUri
                : URI.create(issuer.replaceAll("/+$", "") + "/protocol/openid-connect/certs");
    }
}
