package ai.aegis.ingress.console;

import ai.aegis.ingress.auth.Authenticator;
import ai.aegis.schemas.auth.Caller;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.JWTParser;
import com.nimbusds.jwt.proc.BadJWTException;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The console's OIDC login: the authorization code flow with PKCE (S256), done by the ingress for a public client,
 * so the browser never holds anything but the {@code aegis_console} cookie it gets at the end.
 *
 * <ol>
 *   <li>{@link #begin}: a random {@code state}, {@code nonce} and {@code code_verifier}, kept in
 *   {@link PendingLogins}; the browser is sent to the issuer's authorization endpoint with the S256 challenge.</li>
 *   <li>{@link #finish}: the state must be a pending one (taken: one use) and the browser's own (the state cookie set
 *   by {@code begin}, so that nobody can complete a login they started in a victim's browser); the code is redeemed
 *   with the verifier; the ID token's {@code nonce}, {@code iss}, {@code aud} (and {@code exp} when it has one) are
 *   checked with nimbus's claims verifier (it came straight from the token endpoint, so TLS vouches for it, OIDC
 *   Core 3.1.3.7); the access token is checked by the API's own
 *   {@link Authenticator}, so its audience and roles rules are the API's.</li>
 * </ol>
 * The refresh token is not kept: the console session ends when the access token expires (the login screen says
 * so), which keeps the session stateless across ingress nodes as the token login's is.
 */
public final class ConsoleOidc {

    public static final String LOGIN_PATH = ConsoleRoutes.PATH + "/oidc/login";
    public static final String CALLBACK_PATH = ConsoleRoutes.PATH + "/oidc/callback";

    /** Why a login failed, as the login screen shows it (a code: the page maps it to its own words). */
    public enum Failure {
        /** Unknown, expired, reused state, or not this browser's. */
        STATE("state"),
        /** The issuer answered the callback or the code with an error, or could not be reached. */
        ISSUER("issuer"),
        /** The tokens were refused (nonce, ID token, or the API's check of the access token). */
        TOKEN("token");

        public final String code;

        Failure(String code) {
            this.code = code;
        }
    }

    /** Where to send the browser, and the state the browser must come back with (its cookie's value). */
    public record Start(URI location, String state) {
    }

    public sealed interface Outcome permits LoggedIn, Failed {
    }

    /** @param accessToken the cookie's value, as the token login sets it */
    public record LoggedIn(String accessToken, Caller caller) implements Outcome {
    }

    /** @param detail for the log only: never shown to the browser */
    public record Failed(Failure failure, String detail) implements Outcome {
    }

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Base64.Encoder B64URL = Base64.getUrlEncoder().withoutPadding();

    private final ConsoleOidcSettings settings;
    private final IdentityProvider provider;
    private final Authenticator authenticator;
    private final PendingLogins pending;

    public ConsoleOidc(ConsoleOidcSettings settings, IdentityProvider provider, Authenticator authenticator,
                       PendingLogins pending) {
        if (!settings.configured()) {
            throw new IllegalArgumentException("aegis.console.oidc is not configured");
        }
        this.settings = settings;
        this.provider = provider;
        this.authenticator = authenticator;
        this.pending = pending;
    }

    public String issuer() {
        return settings.issuer();
    }

    /**
     * Starts a login; throws when the issuer's endpoints cannot be had (the route shows that as an issuer failure).
     *
     * @param redirectUri {@code <the console's origin>}{@value #CALLBACK_PATH}
     */
    public Start begin(String redirectUri) {
        URI authorization = provider.endpoints().authorization();
        String state = random(32);
        String nonce = random(32);
        String verifier = random(48); // 64 characters: RFC 7636 wants 43 to 128
        pending.put(state, verifier, nonce, redirectUri);
        Map<String, String> query = new LinkedHashMap<>();
        query.put("response_type", "code");
        query.put("client_id", settings.clientId());
        query.put("redirect_uri", redirectUri);
        query.put("scope", settings.scope());
        query.put("state", state);
        query.put("nonce", nonce);
        query.put("code_challenge", challenge(verifier));
        query.put("code_challenge_method", "S256");
        char sep = authorization.getRawQuery() == null ? '?' : '&';
        return new Start(URI.create(authorization.toString() + sep + HttpIdentityProvider.form(query)), state);
    }

    /**
     * Completes a login from the callback's query.
     *
     * @param browserState the state cookie the browser sent (null when none)
     * @param error        the callback's {@code error} (the user cancelled, the issuer refused), or null
     */
    public Outcome finish(String state, String browserState, String code, String error) {
        Optional<PendingLogins.Pending> taken = pending.take(state);
        if (taken.isEmpty()) {
            return new Failed(Failure.STATE, "unknown, expired or used state");
        }
        if (!state.equals(browserState)) {
            return new Failed(Failure.STATE, "the state is not this browser's (no or another state cookie)");
        }
        if (error != null) {
            return new Failed(Failure.ISSUER, "the issuer answered " + error);
        }
        if (code == null || code.isBlank()) {
            return new Failed(Failure.ISSUER, "the callback has no code");
        }
        PendingLogins.Pending login = taken.get();
        IdentityProvider.Endpoints endpoints;
        IdentityProvider.TokenAnswer answer;
        try {
            endpoints = provider.endpoints();
            Map<String, String> form = new LinkedHashMap<>();
            form.put("grant_type", "authorization_code");
            form.put("code", code);
            form.put("redirect_uri", login.redirectUri());
            form.put("client_id", settings.clientId());
            form.put("code_verifier", login.codeVerifier());
            answer = provider.redeem(endpoints.token(), form);
        } catch (RuntimeException e) {
            return new Failed(Failure.ISSUER, "the code could not be redeemed: " + e.getMessage());
        }
        if (answer.error() != null || answer.accessToken() == null) {
            return new Failed(Failure.ISSUER, "the token endpoint answered " + answer.error()
                    + (answer.errorDescription() == null ? "" : ": " + answer.errorDescription()));
        }
        String idProblem = idTokenProblem(answer.idToken(), endpoints.issuer(), login.nonce());
        if (idProblem != null) {
            return new Failed(Failure.TOKEN, idProblem);
        }
        return switch (authenticator.authenticate(answer.accessToken())) {
            case Authenticator.Refused r -> new Failed(Failure.TOKEN, "the access token was refused: "
                    + r.description());
            case Authenticator.Authenticated a -> new LoggedIn(answer.accessToken(), a.caller());
        };
    }

    /**
     * Null when the ID token is this login's ({@code nonce}), of the issuer ({@code iss}) and for this client
     * ({@code aud}), and, when it says so, unexpired ({@code exp}, {@code nbf}); else what is wrong. Its signature is
     * not checked: it came straight from the token endpoint (OIDC Core 3.1.3.7, 6).
     */
    private String idTokenProblem(String idToken, String issuer, String nonce) {
        if (idToken == null) {
            return "no ID token (is openid in the scope?)";
        }
        try {
            new DefaultJWTClaimsVerifier<>(settings.clientId(),
                    new JWTClaimsSet.Builder().issuer(issuer).claim("nonce", nonce).build(), Set.of())
                    .verify(JWTParser.parse(idToken).getJWTClaimsSet(), null);
            return null;
        } catch (java.text.ParseException e) {
            return "the ID token is no JWT";
        } catch (BadJWTException e) {
            return "the ID token was refused: " + e.getMessage();
        }
    }

    /** RFC 7636 S256: base64url (no padding) of the SHA-256 of the verifier's ASCII. */
    static String challenge(String verifier) {
        try {
            return B64URL.encodeToString(MessageDigest.getInstance("SHA-256")
                    .digest(verifier.getBytes(StandardCharsets.US_ASCII)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from the JDK", e);
        }
    }

    private static String random(int bytes) {
        byte[] b = new byte[bytes];
        RANDOM.nextBytes(b);
        return B64URL.encodeToString(b);
    }
}
