package ai.aegis.ingress.auth;

import ai.aegis.http.Api;
import ai.aegis.ingress.console.ConsoleRoutes;
import ai.aegis.schemas.auth.Caller;
import ai.aegis.schemas.auth.Subject;
import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;
import io.helidon.webserver.http.Filter;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Requires a bearer token ({@code Authorization: Bearer <token>}: the local API token, or an OIDC access token when
 * issuers are configured) on every public route but the open ones ({@code /health}), and the role the route needs:
 * reading (GET, HEAD, the streams) any Aegis role; deciding a human approval {@value Caller#APPROVER} or
 * {@value Caller#OPERATOR}; everything else {@value Caller#OPERATOR}. Stream routes also accept {@code ?access_token=}
 * because a browser's EventSource cannot set headers. The web console's cookie ({@link ConsoleRoutes#COOKIE}) is the
 * bearer when a request has neither: then a state-changing request (not GET or HEAD) also needs the header
 * {@value ConsoleRoutes#CSRF_HEADER}{@code : 1}, which a cross-site form cannot set, else {@code 403}. The console's
 * own paths ({@code /console/...}) are left to its routes: its static files hold no data.
 *
 * <p>401 with {@code WWW-Authenticate: Bearer realm="aegis", error="..."} (RFC 6750) for a missing or bad token,
 * 403 with a JSON body naming the role that is missing.
 */
public final class AuthFilter implements Filter {

    private static final String BEARER = "Bearer ";
    private static final Pattern DECISION = Pattern.compile("/v1/human-approvals/[^/]+/(approve|reject)");

    private final Authenticator authenticator;
    private final Set<String> openPaths;
    /** An array: the loop over it on every request allocates nothing. */
    private final String[] openPrefixes;

    public AuthFilter(Authenticator authenticator, Set<String> openPaths) {
        this(authenticator, openPaths, Set.of());
    }

    /** @param openPrefixes paths under these are left to their route's own check (webhooks: an HMAC signature) */
    public AuthFilter(Authenticator authenticator, Set<String> openPaths, Set<String> openPrefixes) {
        this.authenticator = authenticator;
        this.openPaths = Set.copyOf(openPaths);
        this.openPrefixes = Set.copyOf(openPrefixes).toArray(String[]::new);
    }

    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        String path = req.path().path();
        if (open(path)) {
            chain.proceed();
            return;
        }
        String presented = req.headers().first(HeaderNames.AUTHORIZATION)
                .filter(h -> h.regionMatches(true, 0, BEARER, 0, BEARER.length()))
                .map(h -> h.substring(BEARER.length()).trim())
                .orElse(null);
        if (presented == null && path.endsWith("/stream")) {
            presented = req.query().first("access_token").orElse(null);
        }
        // the console's cookie only when no token was given: a bearer request never has its cookies parsed
        boolean byCookie = false;
        if (presented == null) {
            presented = req.headers().cookies().first(ConsoleRoutes.COOKIE).asOptional().orElse(null);
            byCookie = presented != null;
        }
        switch (authenticator.authenticate(presented)) {
            case Authenticator.Refused r -> {
                res.header(HeaderNames.WWW_AUTHENTICATE, challenge(r));
                Api.error(res, 401, r.description());
            }
            case Authenticator.Authenticated a -> {
                Method method = req.prologue().method();
                if (byCookie && method != Method.GET && method != Method.HEAD
                        && !ConsoleRoutes.hasCsrfHeader(req.headers())) {
                    Api.coded(res, 403, "forbidden", "A request authenticated by the console's cookie that changes "
                            + "something needs the header " + ConsoleRoutes.CSRF_HEADER + ": 1");
                    return;
                }
                String missing = missingRole(a.caller(), method, path);
                if (missing != null) {
                    Map<String, Object> body = new LinkedHashMap<>();
                    body.put("error", "forbidden");
                    body.put("message", "This call needs the role " + missing + "; " + a.caller().name()
                            + " has " + (a.caller().roles().isEmpty() ? "no Aegis role" : a.caller().roles()));
                    body.put("required_role", missing);
                    Api.json(res, 403, body);
                    return;
                }
                req.context().register(Caller.CONTEXT_KEY, a.caller());
                req.context().register(Subject.CONTEXT_KEY, a.caller().name());
                chain.proceed();
            }
        }
    }

    /** Left to the route: an open path, one under an open prefix, or the console's. */
    private boolean open(String path) {
        if (openPaths.contains(path) || ConsoleRoutes.isConsolePath(path)) {
            return true;
        }
        for (String prefix : openPrefixes) {
            if (path.startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }

    /** The RFC 6750 challenge; the description never holds the token. */
    public static String challenge(Authenticator.Refused r) {
        return "Bearer realm=\"aegis\", error=\"" + r.error() + "\", error_description=\""
                + r.description().replace("\"", "'") + "\"";
    }

    /** The role a call needs that the caller lacks, or null when it may make it. */
    public static String missingRole(Caller caller, Method method, String path) {
        if (caller.operator()) {
            return null;
        }
        if (method == Method.GET || method == Method.HEAD) {
            return caller.mayRead() ? null : Caller.VIEWER;
        }
        if (method == Method.POST && DECISION.matcher(path).matches()) {
            return caller.mayDecideApprovals() ? null : Caller.APPROVER;
        }
        return Caller.OPERATOR;
    }
}
