package ai.aegis.ingress.auth;

import ai.aegis.schemas.auth.Caller;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.DefaultResourceRetriever;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.ConfigurableJWTProcessor;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;

import java.net.MalformedURLException;
import java.text.ParseException;
import java.time.Clock;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Verifies OIDC access tokens (signed JWTs) of the configured issuers, with nimbus-jose-jwt: the issuer is picked by
 * the token's {@code iss} (an unknown one is refused before any key is fetched); the signature is checked with a key
 * of that issuer's JWKS whose {@code kid} and algorithm match, among the allowed asymmetric algorithms (so
 * {@code alg: none}, HS* and a key of another issuer are refused); then {@code iss} exactly, {@code aud} (one of the
 * configured audiences), {@code exp} (required) and {@code nbf}, within the clock skew.
 *
 * <p>Keys ({@link JWKSourceBuilder}): fetched on first use, cached for the keys TTL and refreshed ahead of its end in
 * the background; a token whose {@code kid} is unknown makes one refetch (a key rotated in), rate-limited to one
 * each {@value #UNKNOWN_KID_REFETCH_MS} ms, so a flood of forged {@code kid}s cannot hammer the issuer. A verified
 * token is remembered by its hash until its {@code exp} ({@link VerifiedTokens}).
 *
 * <p>Roles: the strings at the configured claim path ({@code realm_access.roles}) that are Aegis roles; the name is
 * {@code preferred_username}, else {@code sub}.
 */
public final class OidcVerifier implements Authenticator {

    static final long UNKNOWN_KID_REFETCH_MS = 10_000;
    private static final int HTTP_TIMEOUT_MS = 2_000;
    private static final int JWKS_SIZE_LIMIT = 512 * 1024;

    private final Map<String, ConfigurableJWTProcessor<SecurityContext>> byIssuer = new HashMap<>();
    private final String[] rolesPath;
    private final VerifiedTokens verified;
    private final Clock clock;

    public OidcVerifier(OidcSettings settings, Clock clock) {
        this.rolesPath = settings.rolesClaim().split("\\.");
        this.verified = new VerifiedTokens(settings.cachedTokens());
        this.clock = clock;
        for (OidcIssuer issuer : settings.issuers()) {
            byIssuer.put(issuer.issuer(), processor(issuer, settings));
        }
    }

    private static ConfigurableJWTProcessor<SecurityContext> processor(OidcIssuer issuer, OidcSettings settings) {
        JWKSource<SecurityContext> keys;
        try {
            long ttl = settings.keysTtl().toMillis();
            keys = JWKSourceBuilder.<SecurityContext>create(issuer.keys().toURL(),
                            new DefaultResourceRetriever(HTTP_TIMEOUT_MS, HTTP_TIMEOUT_MS, JWKS_SIZE_LIMIT))
                    .cache(ttl, HTTP_TIMEOUT_MS)
                    .refreshAheadCache(Math.min(ttl / 5, 30_000), true)
                    .rateLimited(UNKNOWN_KID_REFETCH_MS)
                    .build();
        } catch (MalformedURLException | IllegalArgumentException e) {
            throw new IllegalArgumentException("the JWKS URI of issuer " + issuer.issuer() + " is not a URL: "
                    + issuer.keys(), e);
        }
        Set<JWSAlgorithm> algorithms = issuer.algorithms().stream().map(JWSAlgorithm::parse)
                .collect(Collectors.toSet());
        DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
        processor.setJWSKeySelector(new JWSVerificationKeySelector<>(algorithms, keys));
        DefaultJWTClaimsVerifier<SecurityContext> claims = new DefaultJWTClaimsVerifier<>(
                new HashSet<>(issuer.audiences()), new JWTClaimsSet.Builder().issuer(issuer.issuer()).build(),
                Set.of("sub", "exp"), Set.of());
        claims.setMaxClockSkew((int) settings.clockSkew().toSeconds());
        processor.setJWTClaimsSetVerifier(claims);
        return processor;
    }

    @Override
    public Result authenticate(String bearer) {
        if (bearer == null || bearer.isBlank()) {
            return Authenticator.missing();
        }
        long now = clock.millis();
        Optional<Caller> known = verified.get(bearer, now);
        if (known.isPresent()) {
            return new Authenticated(known.get());
        }
        SignedJWT jwt;
        String issuer;
        try {
            jwt = SignedJWT.parse(bearer); // a token with alg none is no SignedJWT: refused here
            issuer = jwt.getJWTClaimsSet().getIssuer();
        } catch (ParseException e) {
            return new Refused("invalid_token", "The token is not a signed JWT");
        }
        ConfigurableJWTProcessor<SecurityContext> processor = issuer == null ? null : byIssuer.get(issuer);
        if (processor == null) {
            return new Refused("invalid_token", "The token's issuer is not accepted");
        }
        JWTClaimsSet claims;
        try {
            claims = processor.process(jwt, null);
        } catch (BadJOSEException e) {
            return new Refused("invalid_token", "The token was refused: " + e.getMessage());
        } catch (JOSEException e) {
            return new Refused("invalid_token", "The token could not be verified: " + e.getMessage());
        }
        Caller caller = new Caller(name(claims), roles(claims), issuer);
        verified.put(bearer, caller, claims.getExpirationTime().getTime());
        return new Authenticated(caller);
    }

    /** How many verified tokens are remembered (a gauge). */
    public int cachedTokens() {
        return verified.size();
    }

    private static String name(JWTClaimsSet claims) {
        Object preferred = claims.getClaim("preferred_username");
        return preferred instanceof String s && !s.isBlank() ? s : claims.getSubject();
    }

    private Set<String> roles(JWTClaimsSet claims) {
        Object node = claims.getClaims();
        for (String step : rolesPath) {
            node = node instanceof Map<?, ?> m ? m.get(step) : null;
        }
        Set<String> roles = new LinkedHashSet<>();
        if (node instanceof Collection<?> c) {
            for (Object r : c) {
                if (r instanceof String s && Caller.ROLES.contains(s)) {
                    roles.add(s);
                }
            }
        }
        return roles;
    }
}
