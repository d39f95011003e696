package ai.aegis.ingress.console;

import ai.aegis.ingress.auth.Authenticator;
import ai.aegis.schemas.auth.Caller;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import io.helidon.http.HeaderNames;
import io.helidon.webclient.http1.Http1ClientRequest;
import io.helidon.webclient.http1.Http1ClientResponse;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.testing.junit5.DirectClient;
import io.helidon.webserver.testing.junit5.RoutingTest;
import io.helidon.webserver.testing.junit5.SetUpRoute;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The console's OIDC routes over HTTP (in memory, an issuer faked): the login screen learns the issuer, the login
 * redirects with a state cookie, a callback with that state sets the session cookie as the token login does and
 * returns to the console, one without it goes back to the login screen with the error's code and no cookie.
 */
@RoutingTest
class ConsoleOidcRoutesTest {

    private static final String ISSUER = "https://sso.example.test/realms/aegis";
    private static final Pattern NONCE = Pattern.compile("[?&]nonce=([^&]+)");
    /** The nonce of the latest login: the fake issuer puts it in its ID token as a real one does. */
    private static volatile String nonce;

    private final DirectClient client;

    ConsoleOidcRoutesTest(DirectClient client) {
        this.client = client;
    }

    @SetUpRoute
    static void routing(HttpRouting.Builder routing) {
        IdentityProvider issuer = new IdentityProvider() {
            @Override
            public Endpoints endpoints() {
                return new Endpoints(ISSUER, URI.create(ISSUER + "/auth"), URI.create(ISSUER + "/token"));
            }

            @Override
            public TokenAnswer redeem(URI tokenEndpoint, Map<String, String> form) {
                String id = new PlainJWT(new JWTClaimsSet.Builder().issuer(ISSUER).audience("aegis-console")
                        .claim("nonce", nonce).build()).serialize();
                return new TokenAnswer("eyJ.access." + form.get("code"), id, null, null);
            }
        };
        Authenticator api = bearer -> bearer != null && bearer.startsWith("eyJ.access.")
                ? new Authenticator.Authenticated(new Caller("alice", Set.of(Caller.OPERATOR), ISSUER))
                : Authenticator.missing();
        new ConsoleRoutes(api, new ConsoleOidc(new ConsoleOidcSettings(ISSUER, "aegis-console", null), issuer, api,
                new PendingLogins(100, PendingLogins.DEFAULT_TTL, Clock.systemUTC()))).register(routing);
    }

    @Test
    void aLoginRedirectsToTheIssuerAndItsCallbackSetsTheSessionCookie() {
        Reply config = send("/console/oidc/config", null);
        assertThat(config.status).isEqualTo(200);
        assertThat(config.body).contains("\"issuer\":\"" + ISSUER + "\"");

        Reply login = send("/console/oidc/login", null);
        assertThat(login.status).as(login.body).isEqualTo(302);
        String location = login.location;
        assertThat(location).startsWith(ISSUER + "/auth?response_type=code&client_id=aegis-console&redirect_uri=")
                .contains("code_challenge_method=S256");
        String redirect = URLDecoder.decode(location.replaceAll(".*[?&]redirect_uri=([^&]+).*", "$1"),
                StandardCharsets.UTF_8);
        assertThat(redirect).matches("http://[^/]+/console/oidc/callback");
        String state = location.replaceAll(".*[?&]state=([^&]+).*", "$1");
        assertThat(login.cookies).singleElement().asString()
                .startsWith(ConsoleRoutes.STATE_COOKIE + "=" + state + ";")
                .contains("Path=/console/oidc", "HttpOnly", "SameSite=Lax", "Max-Age=600");
        Matcher m = NONCE.matcher(location);
        assertThat(m.find()).isTrue();
        nonce = URLDecoder.decode(m.group(1), StandardCharsets.UTF_8);

        Reply back = send("/console/oidc/callback?code=abc&state=" + state,
                ConsoleRoutes.STATE_COOKIE + "=" + state);
        assertThat(back.status).isEqualTo(302);
        assertThat(back.location).isEqualTo("/console/");
        assertThat(back.cookies).anySatisfy(c -> assertThat(c).startsWith(ConsoleRoutes.STATE_COOKIE + "=;")
                .contains("Max-Age=0"));
        assertThat(back.cookies).anySatisfy(c -> assertThat(c)
                .isEqualTo(ConsoleRoutes.COOKIE + "=eyJ.access.abc; Path=/; HttpOnly; SameSite=Strict"));

        // the same callback again: the state was used
        Reply again = send("/console/oidc/callback?code=abc&state=" + state,
                ConsoleRoutes.STATE_COOKIE + "=" + state);
        assertThat(again.location).isEqualTo("/console/?login_error=state");
        assertThat(again.cookies).noneMatch(c -> c.startsWith(ConsoleRoutes.COOKIE + "="));
    }

    @Test
    void aCallbackWithoutAKnownStateReturnsToTheLoginScreenWithTheErrorAndNoCookie() {
        Reply unknown = send("/console/oidc/callback?code=abc&state=forged", ConsoleRoutes.STATE_COOKIE + "=forged");
        assertThat(unknown.status).isEqualTo(302);
        assertThat(unknown.location).isEqualTo("/console/?login_error=state");
        assertThat(unknown.cookies).noneMatch(c -> c.startsWith(ConsoleRoutes.COOKIE + "="));
        assertThat(unknown.body).isEmpty();

        // started in another browser: that browser's state, without its cookie
        String state = send("/console/oidc/login", null).location.replaceAll(".*[?&]state=([^&]+).*", "$1");
        Reply foreign = send("/console/oidc/callback?code=abc&state=" + state, null);
        assertThat(foreign.location).isEqualTo("/console/?login_error=state");
        assertThat(foreign.cookies).noneMatch(c -> c.startsWith(ConsoleRoutes.COOKIE + "="));
    }

    private Reply send(String path, String cookie) {
        // the query as parameters: the in-memory client takes the path as it is given
        int q = path.indexOf('?');
        Http1ClientRequest req = client.get(q < 0 ? path : path.substring(0, q)).followRedirects(false);
        if (q >= 0) {
            for (String pair : path.substring(q + 1).split("&")) {
                int eq = pair.indexOf('=');
                req.queryParam(pair.substring(0, eq), pair.substring(eq + 1));
            }
        }
        if (cookie != null) {
            req.header(HeaderNames.COOKIE, cookie);
        }
        try (Http1ClientResponse res = req.request()) {
            List<String> cookies = new ArrayList<>();
            res.headers().find(HeaderNames.SET_COOKIE).ifPresent(h -> cookies.addAll(h.allValues()));
            return new Reply(res.status().code(), res.headers().first(HeaderNames.LOCATION).orElse(null), cookies,
                    res.entity().hasEntity() ? res.as(String.class) : "");
        }
    }

    private record Reply(int status, String location, List<String> cookies, String body) {
    }
}
