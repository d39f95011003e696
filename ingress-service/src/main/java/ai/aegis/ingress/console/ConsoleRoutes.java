package ai.aegis.ingress.console;

import ai.aegis.http.Api;
import ai.aegis.ingress.auth.AuthFilter;
import ai.aegis.ingress.auth.Authenticator;
import ai.aegis.schemas.auth.Caller;
import ai.aegis.schemas.json.Json;
import com.fasterxml.jackson.databind.JsonNode;
import io.helidon.http.Header;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.Status;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The web console at {@code /console}: static files from this jar (a fixed list, nothing else is served), and the
 * session routes. The files hold no data: everything the console shows comes from the API, which needs a token.
 *
 * <ul>
 *   <li>{@code POST /console/session} {@code {"token":"..."}}: checks the token with the ingress's
 *   {@link Authenticator}; {@code 401} when it is refused, else {@code 200 {"name","roles"}} and the cookie
 *   {@value #COOKIE} (HttpOnly, SameSite=Strict, Path=/, Secure when the request came over HTTPS) holding the
 *   token, which {@link AuthFilter} accepts as the bearer when a request has no {@code Authorization} header.</li>
 *   <li>{@code GET /console/session}: who the cookie is, or {@code 401}.</li>
 *   <li>{@code POST /console/logout}: clears the cookie.</li>
 *   <li>When {@code aegis.console.oidc} is configured ({@link ConsoleOidc}): {@code GET /console/oidc/config}
 *   ({@code {"issuer"}}, else {@code 404}: the login screen shows "Sign in with ..." only then),
 *   {@code GET /console/oidc/login} (302 to the issuer) and {@code GET /console/oidc/callback} (sets the cookie as the
 *   token login does and 302 to {@code /console/}; a failure 302s to {@code /console/?login_error=<code>}, which
 *   the login screen words, and is logged with its detail).</li>
 * </ul>
 * The session routes need the header {@value #CSRF_HEADER}{@code : 1} as every state-changing request authenticated
 * by the cookie does (a cross-site form cannot set it). The cookie holds the token itself rather than a server-side
 * session: every ingress node accepts it, and it lives exactly as long as the token (an OIDC token's expiry
 * applies as it does to the API).
 */
public final class ConsoleRoutes {

    /** The cookie that carries the token. */
    public static final String COOKIE = "aegis_console";
    /** The header a state-changing request authenticated by the cookie must carry, with the value {@code 1}. */
    public static final String CSRF_HEADER = "X-Aegis-Console";
    public static final HeaderName CSRF = HeaderNames.create(CSRF_HEADER);
    public static final String PATH = "/console";
    public static final String CSP = "default-src 'self'; base-uri 'none'; form-action 'self'; "
            + "frame-ancestors 'none'; object-src 'none'";

    private static final String RESOURCES = "/ai/aegis/ingress/console/";
    /** Every file the console has: served as they are, with no listing and no other path. */
    static final List<String> FILES = List.of("index.html", "console.css", "app.js", "api.js", "views.js",
            "fsm.js", "favicon.svg");
    private static final Map<String, String> TYPES = Map.of(
            "html", "text/html; charset=utf-8",
            "css", "text/css; charset=utf-8",
            "js", "text/javascript; charset=utf-8",
            "svg", "image/svg+xml");
    /** Cookie octets (RFC 6265): the local token (aegis_ + hex) and JWTs (base64url and dots) are. */
    private static final Pattern COOKIE_SAFE = Pattern.compile("[A-Za-z0-9._~+/=-]{1,8192}");
    private static final HeaderName SET_COOKIE = HeaderNames.SET_COOKIE;

    /**
     * The cookie that ties an OIDC login to the browser that started it: Lax, since the issuer's redirect back is a
     * cross-site navigation that a Strict cookie would not come with; it lives as long as a pending login.
     */
    static final String STATE_COOKIE = "aegis_console_oidc";
    private static final System.Logger LOG = System.getLogger(ConsoleRoutes.class.getName());

    private final Authenticator authenticator;
    private final ConsoleOidc oidc;
    private final Map<String, StaticFile> files;

    private record StaticFile(byte[] body, String type) {
    }

    /** @param authenticator the ingress's, or null when authentication is off (then any login is accepted) */
    public ConsoleRoutes(Authenticator authenticator) {
        this(authenticator, null);
    }

    /** @param oidc the OIDC login, or null when {@code aegis.console.oidc} is not configured */
    public ConsoleRoutes(Authenticator authenticator, ConsoleOidc oidc) {
        this.authenticator = authenticator;
        this.oidc = oidc;
        Map<String, StaticFile> read = new HashMap<>();
        for (String name : FILES) {
            try (InputStream in = ConsoleRoutes.class.getResourceAsStream(RESOURCES + name)) {
                if (in == null) {
                    throw new IllegalStateException("console resource missing from the jar: " + name);
                }
                read.put(name, new StaticFile(in.readAllBytes(), TYPES.get(name.substring(name.lastIndexOf('.') + 1))));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        this.files = Map.copyOf(read);
    }

    /** Paths {@link AuthFilter} leaves to these routes (they check the token themselves where it matters). */
    public static boolean isConsolePath(String path) {
        return path.equals(PATH) || path.startsWith(PATH + "/");
    }

    public void register(HttpRouting.Builder routing) {
        routing.get(PATH, (req, res) -> {
            secure(res);
            res.status(Status.MOVED_PERMANENTLY_301).header(HeaderNames.LOCATION, PATH + "/").send();
        });
        routing.get(PATH + "/", (req, res) -> file(res, "index.html"));
        routing.post(PATH + "/session", session(csrf(this::login)));
        routing.get(PATH + "/session", session(this::whoami));
        routing.post(PATH + "/logout", session(csrf(this::logout)));
        routing.get(PATH + "/oidc/config", oidc(this::oidcConfig));
        routing.get(ConsoleOidc.LOGIN_PATH, oidc(this::oidcLogin));
        routing.get(ConsoleOidc.CALLBACK_PATH, oidc(this::oidcCallback));
        routing.get(PATH + "/{file}", (req, res) -> file(res, req.path().pathParameters().get("file")));
    }

    /** A session route (and the OIDC ones): the security headers, and never cached. */
    private static Handler session(Handler route) {
        return (req, res) -> {
            secure(res);
            res.header(HeaderNames.CACHE_CONTROL, "no-store");
            route.handle(req, res);
        };
    }

    /** The CSRF check of the session routes: {@code 403} without {@value #CSRF_HEADER}{@code : 1}. */
    private static Handler csrf(Handler route) {
        return (req, res) -> {
            if (hasCsrfHeader(req.headers())) {
                route.handle(req, res);
            } else {
                Api.coded(res, 403, "forbidden", "The console's requests carry the header " + CSRF_HEADER + ": 1");
            }
        };
    }

    /** An OIDC route, as a session route: {@code 404} when {@code aegis.console.oidc} is not configured. */
    private Handler oidc(Handler route) {
        return session((req, res) -> {
            if (oidc == null) {
                Api.error(res, 404, "No OIDC login is configured (aegis.console.oidc)");
            } else {
                route.handle(req, res);
            }
        });
    }

    /** The headers of every console answer. */
    private static final List<Header> SECURITY_HEADERS = List.of(
            HeaderValues.create(HeaderNames.create("Content-Security-Policy"), CSP),
            HeaderValues.create(HeaderNames.X_CONTENT_TYPE_OPTIONS, "nosniff"),
            HeaderValues.create(HeaderNames.create("Referrer-Policy"), "no-referrer"),
            HeaderValues.create(HeaderNames.create("X-Frame-Options"), "DENY"));

    private static void secure(ServerResponse res) {
        SECURITY_HEADERS.forEach(res::header);
    }

    private void file(ServerResponse res, String name) {
        secure(res);
        StaticFile file = files.get(name);
        if (file == null) {
            res.header(HeaderNames.CACHE_CONTROL, "no-store");
            Api.error(res, 404, "Not found");
            return;
        }
        // no-cache: revalidated on every load, so a new version of the node serves its own console at once
        res.header(HeaderNames.CACHE_CONTROL, "no-cache");
        res.header(HeaderNames.CONTENT_TYPE, file.type());
        res.send(file.body());
    }

    private void login(ServerRequest req, ServerResponse res) {
        JsonNode body;
        try {
            body = Json.tree(Api.body(req));
        } catch (RuntimeException e) {
            Api.error(res, 400, "The body must be JSON: {\"token\":\"...\"}");
            return;
        }
        JsonNode given = body == null ? null : body.get("token");
        if (given == null || !given.isTextual() || given.asText().isBlank()) {
            Api.error(res, 400, "Missing required field 'token'");
            return;
        }
        String token = given.asText().strip();
        if (!COOKIE_SAFE.matcher(token).matches()) {
            Api.error(res, 401, "Invalid bearer token");
            return;
        }
        Caller caller;
        if (authenticator == null) {
            caller = Caller.LOCAL;
        } else {
            switch (authenticator.authenticate(token)) {
                case Authenticator.Refused r -> {
                    Api.error(res, 401, r.description());
                    return;
                }
                case Authenticator.Authenticated a -> caller = a.caller();
            }
        }
        res.header(SET_COOKIE, sessionCookie(req, token, null));
        Api.ok(res, caller(caller));
    }

    private void whoami(ServerRequest req, ServerResponse res) {
        if (authenticator == null) {
            Api.ok(res, caller(Caller.LOCAL));
            return;
        }
        String token = req.headers().cookies().first(COOKIE).asOptional().orElse(null);
        switch (authenticator.authenticate(token)) {
            case Authenticator.Refused r -> Api.error(res, 401, r.description());
            case Authenticator.Authenticated a -> Api.ok(res, caller(a.caller()));
        }
    }

    private void logout(ServerRequest req, ServerResponse res) {
        res.header(SET_COOKIE, sessionCookie(req, "", 0));
        Api.ok(res, Map.of("status", "logged_out"));
    }

    private void oidcConfig(ServerRequest req, ServerResponse res) {
        Api.ok(res, Map.of("issuer", oidc.issuer()));
    }

    private void oidcLogin(ServerRequest req, ServerResponse res) {
        ConsoleOidc.Start start;
        try {
            start = oidc.begin(origin(req) + ConsoleOidc.CALLBACK_PATH);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "console OIDC login: the issuer " + oidc.issuer()
                    + " could not be asked: " + e.getMessage());
            redirect(res, PATH + "/?login_error=" + ConsoleOidc.Failure.ISSUER.code);
            return;
        }
        res.header(SET_COOKIE, stateCookie(req, start.state(),
                (int) PendingLogins.DEFAULT_TTL.toSeconds()));
        redirect(res, start.location().toString());
    }

    private void oidcCallback(ServerRequest req, ServerResponse res) {
        // added, not set: the session cookie below is a second Set-Cookie of the same answer
        res.headers().add(SET_COOKIE, stateCookie(req, "", 0));
        ConsoleOidc.Outcome outcome = oidc.finish(req.query().first("state").orElse(null),
                req.headers().cookies().first(STATE_COOKIE).asOptional().orElse(null),
                req.query().first("code").orElse(null), req.query().first("error").orElse(null));
        switch (outcome) {
            case ConsoleOidc.LoggedIn in when COOKIE_SAFE.matcher(in.accessToken()).matches() -> {
                LOG.log(System.Logger.Level.INFO, "console OIDC login of " + in.caller().name() + " "
                        + in.caller().roles());
                res.headers().add(SET_COOKIE, sessionCookie(req, in.accessToken(), null));
                redirect(res, PATH + "/");
            }
            case ConsoleOidc.LoggedIn in -> {
                LOG.log(System.Logger.Level.WARNING, "console OIDC login: the access token cannot be a cookie");
                redirect(res, PATH + "/?login_error=" + ConsoleOidc.Failure.TOKEN.code);
            }
            case ConsoleOidc.Failed f -> {
                LOG.log(System.Logger.Level.WARNING, "console OIDC login refused (" + f.failure().code + "): "
                        + f.detail());
                redirect(res, PATH + "/?login_error=" + f.failure().code);
            }
        }
    }

    private static void redirect(ServerResponse res, String location) {
        res.status(Status.FOUND_302).header(HeaderNames.LOCATION, location).send();
    }

    private static String stateCookie(ServerRequest req, String value, int maxAge) {
        return setCookie(req, STATE_COOKIE, value, PATH + "/oidc", "Lax", maxAge);
    }

    /** @param maxAge null: a session cookie */
    private static String sessionCookie(ServerRequest req, String value, Integer maxAge) {
        return setCookie(req, COOKIE, value, "/", "Strict", maxAge);
    }

    /** Always HttpOnly; Secure when the request came over HTTPS. */
    private static String setCookie(ServerRequest req, String name, String value, String path, String sameSite,
                                    Integer maxAge) {
        StringBuilder c = new StringBuilder(name).append('=').append(value).append("; Path=").append(path)
                .append("; HttpOnly; SameSite=").append(sameSite);
        if (maxAge != null) {
            c.append("; Max-Age=").append(maxAge);
        }
        if (https(req)) {
            c.append("; Secure");
        }
        return c.toString();
    }

    /**
     * The console's origin as the browser reached it (Helidon's requested URI: the Host header, or the forwarded
     * ones when the listener trusts a proxy). The issuer only redirects to URIs registered for the client, so a
     * forged Host header gets nobody's code anywhere.
     */
    static String origin(ServerRequest req) {
        io.helidon.common.uri.UriInfo uri = req.requestedUri();
        String scheme = uri.scheme();
        String host = uri.host();
        if (host.indexOf(':') >= 0 && !host.startsWith("[")) {
            host = "[" + host + "]";
        }
        int port = uri.port();
        boolean defaultPort = port <= 0 || ("http".equals(scheme) && port == 80)
                || ("https".equals(scheme) && port == 443);
        return scheme + "://" + host + (defaultPort ? "" : ":" + port);
    }

    public static boolean hasCsrfHeader(io.helidon.http.Headers headers) {
        return headers.first(CSRF).map("1"::equals).orElse(false);
    }

    /** Over TLS, or behind a proxy that says the client used HTTPS (as Helidon's requested URI reads it). */
    private static boolean https(ServerRequest req) {
        if (req.isSecure()) {
            return true;
        }
        try {
            return "https".equalsIgnoreCase(req.requestedUri().scheme());
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static Map<String, Object> caller(Caller caller) {
        return Map.of("name", caller.name(), "roles", new TreeSet<>(caller.roles() == null ? Set.of()
                : caller.roles()));
    }
}
