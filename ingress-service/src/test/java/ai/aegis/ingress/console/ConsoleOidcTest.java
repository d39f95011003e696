package ai.aegis.ingress.console;

import ai.aegis.ingress.IngressConfig;
import ai.aegis.ingress.auth.Authenticator;
import ai.aegis.ingress.auth.OidcIssuer;
import ai.aegis.ingress.auth.OidcSettings;
import ai.aegis.schemas.auth.Caller;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The console's OIDC login without an issuer: the pending logins' bounds and TTL (a moved clock), the authorization
 * redirect's parameters (the S256 challenge of the verifier that is later redeemed), and a callback whose state is
 * unknown, expired, reused or another browser's refused before any code is redeemed; the tokens' checks.
 */
class ConsoleOidcTest {

    private static final String ISSUER = "https://sso.example.test/realms/aegis";
    private static final String CLIENT = "aegis-console";
    private static final String REDIRECT = "http://127.0.0.1:8080/console/oidc/callback";
    private static final ConsoleOidcSettings SETTINGS = new ConsoleOidcSettings(ISSUER, CLIENT,
            "openid profile");

    private static final class MovableClock extends Clock {
        private Instant now = Instant.parse("2026-12-01T10:00:00Z");

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    /** An issuer that answers what the test sets, and records the forms it was sent. */
    private static final class FakeIssuer implements IdentityProvider {
        final List<Map<String, String>> redeemed = new ArrayList<>();
        String nonceInIdToken;
        String audienceOfIdToken = CLIENT;
        java.util.Date idTokenExpiry;
        String error;

        @Override
        public Endpoints endpoints() {
            return new Endpoints(ISSUER, URI.create(ISSUER + "/protocol/openid-connect/auth"),
                    URI.create(ISSUER + "/protocol/openid-connect/token"));
        }

        @Override
        public TokenAnswer redeem(URI tokenEndpoint, Map<String, String> form) {
            redeemed.add(form);
            if (error != null) {
                return new TokenAnswer(null, null, error, "Code not valid");
            }
            String id = new PlainJWT(new JWTClaimsSet.Builder().issuer(ISSUER).audience(audienceOfIdToken)
                    .claim("nonce", nonceInIdToken).subject("u1").expirationTime(idTokenExpiry).build()).serialize();
            return new TokenAnswer("access.token.of-" + form.get("code"), id, null, null);
        }
    }

    private final MovableClock clock = new MovableClock();
    private final FakeIssuer issuer = new FakeIssuer();
    private final List<String> checked = new ArrayList<>();
    private final Authenticator api = bearer -> {
        checked.add(bearer);
        return bearer.endsWith("refused") ? new Authenticator.Refused("invalid_token", "wrong audience")
                : new Authenticator.Authenticated(new Caller("alice", Set.of(Caller.OPERATOR), ISSUER));
    };
    private final PendingLogins pending = new PendingLogins(3, Duration.ofMinutes(10), clock);
    private final ConsoleOidc oidc = new ConsoleOidc(SETTINGS, issuer, api, pending);

    private static Map<String, String> query(URI uri) {
        Map<String, String> q = new HashMap<>();
        for (String pair : uri.getRawQuery().split("&")) {
            int eq = pair.indexOf('=');
            q.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                    URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
        }
        return q;
    }

    @Test
    void pendingLoginsAreBoundedDroppedAfterTheirTtlAndTakenOnce() {
        pending.put("s1", "v1", "n1", REDIRECT);
        clock.advance(Duration.ofMinutes(4));
        pending.put("s2", "v2", "n2", REDIRECT);
        pending.put("s3", "v3", "n3", REDIRECT);
        assertThat(pending.size()).isEqualTo(3);
        // full: the oldest goes for the newest
        pending.put("s4", "v4", "n4", REDIRECT);
        assertThat(pending.size()).isEqualTo(3);
        assertThat(pending.take("s1")).isEmpty();
        // one use
        assertThat(pending.take("s2")).get().extracting(PendingLogins.Pending::codeVerifier).isEqualTo("v2");
        assertThat(pending.take("s2")).isEmpty();
        // s3 and s4 were kept at minute 4: at minute 14 they are gone, and no longer count
        clock.advance(Duration.ofMinutes(9).plusSeconds(59));
        assertThat(pending.size()).isEqualTo(2);
        clock.advance(Duration.ofSeconds(1));
        assertThat(pending.size()).isZero();
        assertThat(pending.take("s3")).isEmpty();
        assertThat(pending.take(null)).isEmpty();
    }

    @Test
    void theAuthorizationRedirectCarriesStateNonceAndTheS256ChallengeOfTheKeptVerifier() throws Exception {
        ConsoleOidc.Start start = oidc.begin(REDIRECT);
        assertThat(start.location().toString()).startsWith(ISSUER + "/protocol/openid-connect/auth?");
        Map<String, String> q = query(start.location());
        assertThat(q).containsEntry("response_type", "code").containsEntry("client_id", CLIENT)
                .containsEntry("redirect_uri", REDIRECT).containsEntry("scope", "openid profile")
                .containsEntry("state", start.state()).containsEntry("code_challenge_method", "S256");
        assertThat(q.get("nonce")).hasSizeGreaterThanOrEqualTo(43).isNotEqualTo(start.state());
        PendingLogins.Pending kept = pending.take(start.state()).orElseThrow();
        assertThat(kept.nonce()).isEqualTo(q.get("nonce"));
        assertThat(kept.codeVerifier()).matches("[A-Za-z0-9_-]{43,128}");
        String expected = Base64.getUrlEncoder().withoutPadding().encodeToString(MessageDigest.getInstance("SHA-256")
                .digest(kept.codeVerifier().getBytes(StandardCharsets.US_ASCII)));
        assertThat(q.get("code_challenge")).isEqualTo(expected).doesNotContain("=");
        // a fresh state, nonce and verifier each time
        assertThat(query(oidc.begin(REDIRECT).location()).get("state")).isNotEqualTo(start.state());
    }

    @Test
    void aCallbackRedeemsTheCodeWithTheVerifierAndTheApiChecksTheAccessToken() {
        ConsoleOidc.Start start = oidc.begin(REDIRECT);
        issuer.nonceInIdToken = query(start.location()).get("nonce");
        PendingLogins.Pending kept = peek(start.state());

        ConsoleOidc.Outcome outcome = oidc.finish(start.state(), start.state(), "c0de", null);

        assertThat(outcome).isInstanceOfSatisfying(ConsoleOidc.LoggedIn.class, in -> {
            assertThat(in.accessToken()).isEqualTo("access.token.of-c0de");
            assertThat(in.caller().name()).isEqualTo("alice");
        });
        assertThat(issuer.redeemed).containsExactly(Map.of("grant_type", "authorization_code", "code", "c0de",
                "redirect_uri", REDIRECT, "client_id", CLIENT, "code_verifier", kept.codeVerifier()));
        assertThat(checked).containsExactly("access.token.of-c0de");
        // the state was used: the same callback again is refused, and redeems nothing
        assertThat(oidc.finish(start.state(), start.state(), "c0de", null)).isEqualTo(
                new ConsoleOidc.Failed(ConsoleOidc.Failure.STATE, "unknown, expired or used state"));
        assertThat(issuer.redeemed).hasSize(1);
    }

    /** The pending login of a state, put back as it was (take removes it). */
    private PendingLogins.Pending peek(String state) {
        PendingLogins.Pending p = pending.take(state).orElseThrow();
        pending.put(state, p.codeVerifier(), p.nonce(), p.redirectUri());
        return p;
    }

    @Test
    void unknownExpiredAndAnotherBrowsersStatesAreRefusedBeforeAnyCodeIsRedeemed() {
        assertThat(failure(oidc.finish("never-issued", "never-issued", "c", null)))
                .isEqualTo(ConsoleOidc.Failure.STATE);
        assertThat(failure(oidc.finish(null, null, "c", null))).isEqualTo(ConsoleOidc.Failure.STATE);

        ConsoleOidc.Start expired = oidc.begin(REDIRECT);
        clock.advance(Duration.ofMinutes(10));
        assertThat(failure(oidc.finish(expired.state(), expired.state(), "c", null)))
                .isEqualTo(ConsoleOidc.Failure.STATE);

        // a login started elsewhere (the attacker's) completed in a browser without its state cookie
        ConsoleOidc.Start foreign = oidc.begin(REDIRECT);
        assertThat(failure(oidc.finish(foreign.state(), null, "c", null))).isEqualTo(ConsoleOidc.Failure.STATE);
        ConsoleOidc.Start other = oidc.begin(REDIRECT);
        ConsoleOidc.Start mine = oidc.begin(REDIRECT);
        assertThat(failure(oidc.finish(other.state(), mine.state(), "c", null)))
                .isEqualTo(ConsoleOidc.Failure.STATE);
        assertThat(issuer.redeemed).isEmpty();
        assertThat(checked).isEmpty();
    }

    @Test
    void issuerErrorsAndRefusedTokensFailTheLogin() {
        ConsoleOidc.Start cancelled = oidc.begin(REDIRECT);
        assertThat(failure(oidc.finish(cancelled.state(), cancelled.state(), null, "access_denied")))
                .isEqualTo(ConsoleOidc.Failure.ISSUER);

        ConsoleOidc.Start badCode = oidc.begin(REDIRECT);
        issuer.error = "invalid_grant";
        assertThat(failure(oidc.finish(badCode.state(), badCode.state(), "c", null)))
                .isEqualTo(ConsoleOidc.Failure.ISSUER);
        issuer.error = null;

        ConsoleOidc.Start wrongNonce = oidc.begin(REDIRECT);
        issuer.nonceInIdToken = "another-login's";
        assertThat(failure(oidc.finish(wrongNonce.state(), wrongNonce.state(), "c", null)))
                .isEqualTo(ConsoleOidc.Failure.TOKEN);

        ConsoleOidc.Start otherClient = oidc.begin(REDIRECT);
        issuer.nonceInIdToken = query(otherClient.location()).get("nonce");
        issuer.audienceOfIdToken = "another-client";
        assertThat(failure(oidc.finish(otherClient.state(), otherClient.state(), "c", null)))
                .isEqualTo(ConsoleOidc.Failure.TOKEN);
        issuer.audienceOfIdToken = CLIENT;

        ConsoleOidc.Start expired = oidc.begin(REDIRECT);
        issuer.nonceInIdToken = query(expired.location()).get("nonce");
        issuer.idTokenExpiry = new java.util.Date(System.currentTimeMillis() - Duration.ofHours(1).toMillis());
        assertThat(failure(oidc.finish(expired.state(), expired.state(), "c", null)))
                .isEqualTo(ConsoleOidc.Failure.TOKEN);
        issuer.idTokenExpiry = null;
        assertThat(checked).isEmpty();

        ConsoleOidc.Start refused = oidc.begin(REDIRECT);
        issuer.nonceInIdToken = query(refused.location()).get("nonce");
        ConsoleOidc.Outcome outcome = oidc.finish(refused.state(), refused.state(), "refused", null);
        assertThat(outcome).isEqualTo(new ConsoleOidc.Failed(ConsoleOidc.Failure.TOKEN,
                "the access token was refused: wrong audience"));
    }

    @Test
    void theSettingsNeedAClientAndOpenidAndDefaultTheScope() {
        assertThat(ConsoleOidcSettings.NONE.configured()).isFalse();
        assertThat(new ConsoleOidcSettings(ISSUER + "/", CLIENT, null).scope()).isEqualTo("openid");
        assertThat(new ConsoleOidcSettings(ISSUER + "/", CLIENT, null).sameIssuer(ISSUER)).isTrue();
        assertThatThrownBy(() -> new ConsoleOidcSettings(ISSUER, " ", null))
                .hasMessageContaining("client-id");
        assertThatThrownBy(() -> new ConsoleOidcSettings(ISSUER, CLIENT, "email"))
                .hasMessageContaining("openid");
    }

    @Test
    void theConsolesIssuerMustBeOneTheApiTrusts() {
        OidcSettings trusted = new OidcSettings(List.of(new OidcIssuer(ISSUER, Set.of("aegis-api"), null, List.of())),
                OidcSettings.DEFAULT_ROLES_CLAIM, Duration.ZERO, 10, Duration.ofMinutes(5));
        assertThat(IngressConfig.builder().dataDir(Path.of("unused")).oidc(trusted).consoleOidc(SETTINGS).build()
                .consoleOidc().clientId()).isEqualTo(CLIENT);
        // its tokens are checked as the API's: an issuer the API does not trust is a configuration error at start
        assertThatThrownBy(() -> IngressConfig.builder().dataDir(Path.of("unused")).consoleOidc(SETTINGS).build())
                .hasMessageContaining("is not one of aegis.auth.oidc.issuers");
    }

    private static ConsoleOidc.Failure failure(ConsoleOidc.Outcome outcome) {
        assertThat(outcome).isInstanceOf(ConsoleOidc.Failed.class);
        return ((ConsoleOidc.Failed) outcome).failure();
    }
}
