package ai.aegis.ingress.auth;

import ai.aegis.schemas.auth.Caller;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.PlainHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import io.helidon.http.Method;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * OIDC access tokens against an issuer of the test's own (its JWKS over real HTTP, tokens signed with
 * nimbus-jose-jwt): what is accepted, every way a token is refused, roles, the cache, a key rotation.
 */
class OidcVerifierTest {

    private final LocalIssuer issuer;
    private final OidcVerifier verifier;

    OidcVerifierTest() throws Exception {
        issuer = new LocalIssuer();
        verifier = new OidcVerifier(new OidcSettings(List.of(issuer.config()), OidcSettings.DEFAULT_ROLES_CLAIM,
                Duration.ofSeconds(30), 100, Duration.ofMinutes(5)), Clock.systemUTC());
    }

    @AfterEach
    void stop() {
        issuer.close();
    }

    private Authenticator.Result check(String token) {
        return verifier.authenticate(token);
    }

    private static String refusal(Authenticator.Result r) {
        assertThat(r).isInstanceOf(Authenticator.Refused.class);
        return ((Authenticator.Refused) r).description();
    }

    @Test
    void aTokenOfTheIssuerIsAcceptedWithItsNameAndItsAegisRoles() throws Exception {
        Authenticator.Result r = check(issuer.token("alice", Caller.OPERATOR, "offline_access", "uma_authorization"));

        assertThat(r).isInstanceOfSatisfying(Authenticator.Authenticated.class, a -> {
            assertThat(a.caller().name()).isEqualTo("alice");
            assertThat(a.caller().roles()).containsExactly(Caller.OPERATOR);
            assertThat(a.caller().issuer()).isEqualTo(issuer.issuer());
            assertThat(a.caller().operator()).isTrue();
        });
        // without preferred_username the name is the subject
        Authenticator.Result bySub = check(issuer.token(c -> c.subject("svc-1")
                .claim("realm_access", java.util.Map.of("roles", List.of(Caller.VIEWER)))));
        assertThat(((Authenticator.Authenticated) bySub).caller().name()).isEqualTo("svc-1");
        assertThat(((Authenticator.Authenticated) bySub).caller().mayRead()).isTrue();
        assertThat(((Authenticator.Authenticated) bySub).caller().operator()).isFalse();
    }

    @Test
    void expiryAndNotBeforeAreCheckedWithinTheClockSkew() throws Exception {
        Instant now = Instant.now();
        assertThat(refusal(check(issuer.token(c -> c.expirationTime(Date.from(now.minusSeconds(60)))))))
                .contains("Expired");
        // expired 10 s ago: within the 30 s skew
        assertThat(check(issuer.token(c -> c.expirationTime(Date.from(now.minusSeconds(10))))))
                .isInstanceOf(Authenticator.Authenticated.class);
        assertThat(refusal(check(issuer.token(c -> c.notBeforeTime(Date.from(now.plusSeconds(120)))))))
                .contains("before");
        assertThat(refusal(check(issuer.token(c -> c.expirationTime(null))))).contains("exp");
    }

    @Test
    void theWrongAudienceOrIssuerIsRefused() throws Exception {
        assertThat(refusal(check(issuer.token(c -> c.audience("another-api"))))).contains("aud");
        assertThat(refusal(check(issuer.token(c -> c.issuer("https://evil.example.com/realms/test")))))
                .isEqualTo("The token's issuer is not accepted");
        assertThat(refusal(check(issuer.token(c -> c.issuer(null))))).isEqualTo("The token's issuer is not accepted");
    }

    @Test
    void aTamperedSignatureNoneHmacAndAnUnknownKeyAreRefused() throws Exception {
        String good = issuer.token("alice", Caller.VIEWER);
        String[] parts = good.split("\\.");
        String promoted = Base64.getUrlEncoder().withoutPadding().encodeToString(
                new String(Base64.getUrlDecoder().decode(parts[1])).replace(Caller.VIEWER, Caller.OPERATOR)
                        .getBytes());
        assertThat(refusal(check(parts[0] + "." + promoted + "." + parts[2]))).contains("signature");

        JWTClaimsSet claims = SignedJWT.parse(good).getJWTClaimsSet();
        assertThat(refusal(check(new PlainJWT(new PlainHeader(), claims).serialize())))
                .isEqualTo("The token is not a signed JWT");
        SignedJWT hmac = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims);
        hmac.sign(new MACSigner(new byte[32]));
        assertThat(refusal(check(hmac.serialize()))).isNotBlank();
        assertThat(refusal(check(issuer.sign(LocalIssuer.newKey(), c -> { })))).isNotBlank();
        assertThat(refusal(check("not.a.jwt"))).isEqualTo("The token is not a signed JWT");
        assertThat(check(null)).isEqualTo(Authenticator.missing());
    }

    @Test
    void aVerifiedTokenIsRememberedSoTheKeysAreFetchedOnceForManyRequests() throws Exception {
        String token = issuer.token("alice", Caller.OPERATOR);
        for (int i = 0; i < 50; i++) {
            assertThat(check(token)).isInstanceOf(Authenticator.Authenticated.class);
        }
        assertThat(verifier.cachedTokens()).isEqualTo(1);
        assertThat(issuer.fetches()).isEqualTo(1);
        // forged kids do not make the issuer's keys be fetched on every request
        for (int i = 0; i < 20; i++) {
            check(issuer.sign(LocalIssuer.newKey(), c -> { }));
        }
        assertThat(issuer.fetches()).isLessThanOrEqualTo(3);
    }

    @Test
    void aKeyRotatedInIsPickedUpWithoutARestart() throws Exception {
        assertThat(check(issuer.token("alice", Caller.OPERATOR))).isInstanceOf(Authenticator.Authenticated.class);
        issuer.rotate();
        String signedByTheNewKey = issuer.token("alice", Caller.OPERATOR);
        // the unknown kid makes a refetch, at most one per rate-limit interval
        await().atMost(Duration.ofSeconds(30)).until(() -> check(signedByTheNewKey)
                instanceof Authenticator.Authenticated);
    }

    @Test
    void theRolesAreReadFromTheConfiguredClaimAndOnlyAegisRolesCount() throws Exception {
        OidcVerifier byGroups = new OidcVerifier(new OidcSettings(List.of(issuer.config()), "groups",
                Duration.ofSeconds(30), 100, Duration.ofMinutes(5)), Clock.systemUTC());
        Authenticator.Result r = byGroups.authenticate(issuer.token(c -> c.claim("groups",
                List.of(Caller.APPROVER, "admins"))));
        assertThat(((Authenticator.Authenticated) r).caller().roles()).containsExactly(Caller.APPROVER);
        Authenticator.Result none = check(issuer.token(c -> { }));
        assertThat(((Authenticator.Authenticated) none).caller().roles()).isEmpty();
    }

    @Test
    void whatEachRoleMayCall() {
        Caller viewer = new Caller("v", Set.of(Caller.VIEWER), "i");
        Caller approver = new Caller("a", Set.of(Caller.APPROVER), "i");
        Caller nobody = new Caller("n", Set.of(), "i");
        String decide = "/v1/human-approvals/5d3c2b1a-0f9e-4d8c-b7a6-958473625140/approve";
        assertThat(AuthFilter.missingRole(viewer, Method.GET, "/v1/executions")).isNull();
        assertThat(AuthFilter.missingRole(viewer, Method.GET, "/v1/executions/x/stream")).isNull();
        assertThat(AuthFilter.missingRole(viewer, Method.POST, "/v1/executions")).isEqualTo(Caller.OPERATOR);
        assertThat(AuthFilter.missingRole(viewer, Method.POST, decide)).isEqualTo(Caller.APPROVER);
        assertThat(AuthFilter.missingRole(approver, Method.POST, decide)).isNull();
        assertThat(AuthFilter.missingRole(approver, Method.POST, decide.replace("approve", "reject"))).isNull();
        assertThat(AuthFilter.missingRole(approver, Method.DELETE, "/v1/agents/x")).isEqualTo(Caller.OPERATOR);
        assertThat(AuthFilter.missingRole(nobody, Method.GET, "/v1/agents")).isEqualTo(Caller.VIEWER);
        assertThat(AuthFilter.missingRole(Caller.LOCAL, Method.DELETE, "/v1/agents/x")).isNull();
    }
}
