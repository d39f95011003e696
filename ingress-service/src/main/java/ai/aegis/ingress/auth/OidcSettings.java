package ai.aegis.ingress.auth;

import io.helidon.config.Config;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * {@code aegis.auth.oidc}: the identity providers whose tokens the API accepts, and how roles are read from them. No
 * issuer: only the local API token lets anyone in.
 *
 * @param issuers      the accepted issuers (any number)
 * @param rolesClaim   the claim holding the roles, a dotted path ({@code realm_access.roles}, Keycloak's)
 * @param clockSkew    allowed on {@code exp} and {@code nbf}, at most {@link #MAX_CLOCK_SKEW}
 * @param cachedTokens verified tokens remembered (by hash) until their {@code exp}, so that a busy client costs one
 *                     signature check per token rather than per request
 * @param keysTtl      how long a fetched key set is used before it is fetched again (refreshed ahead of that)
 */
public record OidcSettings(List<OidcIssuer> issuers, String rolesClaim, Duration clockSkew, int cachedTokens,
                           Duration keysTtl) {

    public static final String DEFAULT_ROLES_CLAIM = "realm_access.roles";
    public static final Duration DEFAULT_CLOCK_SKEW = Duration.ofSeconds(30);
    public static final Duration MAX_CLOCK_SKEW = Duration.ofSeconds(60);
    public static final int DEFAULT_CACHED_TOKENS = 10_000;
    public static final Duration DEFAULT_KEYS_TTL = Duration.ofMinutes(5);

    public static final OidcSettings NONE = new OidcSettings(List.of(), DEFAULT_ROLES_CLAIM, DEFAULT_CLOCK_SKEW,
            DEFAULT_CACHED_TOKENS, DEFAULT_KEYS_TTL);

    public OidcSettings {
        issuers = List.copyOf(issuers);
        Objects.requireNonNull(rolesClaim, "rolesClaim");
        if (rolesClaim.isBlank()) {
            throw new IllegalArgumentException("aegis.auth.oidc.roles-claim must not be blank");
        }
        if (clockSkew.isNegative() || clockSkew.compareTo(MAX_CLOCK_SKEW) > 0) {
            throw new IllegalArgumentException("aegis.auth.oidc.clock-skew-seconds must be 0 to "
                    + MAX_CLOCK_SKEW.toSeconds());
        }
        if (cachedTokens < 0) {
            throw new IllegalArgumentException("aegis.auth.oidc.cached-tokens must not be negative");
        }
        if (keysTtl.isNegative() || keysTtl.isZero()) {
            throw new IllegalArgumentException("aegis.auth.oidc.keys-ttl-seconds must be positive");
        }
    }

    public boolean configured() {
        return !issuers.isEmpty();
    }

    /**
     * Reads {@code aegis.auth.oidc}: {@code issuers} (a list of {@code issuer}, {@code audience} (comma-separated),
     * {@code jwks-uri}, {@code algorithms}), {@code roles-claim}, {@code clock-skew-seconds}, {@code cached-tokens},
     * {@code keys-ttl-seconds}.
     */
    public static OidcSettings read(Config oidc) {
        List<OidcIssuer> issuers = new ArrayList<>();
        for (Config node : oidc.get("issuers").asNodeList().orElse(List.of())) {
            issuers.add(new OidcIssuer(node.get("issuer").asString().orElse(""),
                    java.util.Set.copyOf(list(node.get("audience").asString().orElse(""))),
                    node.get("jwks-uri").asString().map(URI::create).orElse(null),
                    list(node.get("algorithms").asString().orElse(""))));
        }
        return new OidcSettings(issuers, oidc.get("roles-claim").asString().orElse(DEFAULT_ROLES_CLAIM),
                Duration.ofSeconds(oidc.get("clock-skew-seconds").asLong().orElse(DEFAULT_CLOCK_SKEW.toSeconds())),
                oidc.get("cached-tokens").asInt().orElse(DEFAULT_CACHED_TOKENS),
                Duration.ofSeconds(oidc.get("keys-ttl-seconds").asLong().orElse(DEFAULT_KEYS_TTL.toSeconds())));
    }

    private static List<String> list(String commaSeparated) {
        return Arrays.stream(commaSeparated.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }
}
