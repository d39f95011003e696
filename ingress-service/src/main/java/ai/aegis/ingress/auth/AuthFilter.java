package ai.aegis.ingress.auth;

import ai.aegis.http.Api;
import ai.aegis.schemas.auth.Subject;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;

import java.util.Set;

/**
 * Requires the local API token as {@code Authorization: Bearer <token>} on every public route but the open ones
 * ({@code /health}). Stream routes also accept {@code ?access_token=} because a browser's EventSource cannot set
 * headers.
 */
public final class AuthFilter implements Filter {

    private static final String BEARER = "Bearer ";

    private final LocalApiToken token;
    private final Set<String> openPaths;
    private final Set<String> openPrefixes;

    public AuthFilter(LocalApiToken token, Set<String> openPaths) {
        this(token, openPaths, Set.of());
    }

    /** @param openPrefixes paths under these are left to their route's own check (webhooks: an HMAC signature) */
    public AuthFilter(LocalApiToken token, Set<String> openPaths, Set<String> openPrefixes) {
        this.token = token;
        this.openPaths = Set.copyOf(openPaths);
        this.openPrefixes = Set.copyOf(openPrefixes);
    }

    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        String path = req.path().path();
        if (openPaths.contains(path) || openPrefixes.stream().anyMatch(path::startsWith)) {
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
        if (token.matches(presented)) {
            req.context().register(Subject.CONTEXT_KEY, Subject.LOCAL_TOKEN);
            chain.proceed();
            return;
        }
        res.header(HeaderNames.WWW_AUTHENTICATE, "Bearer realm=\"aegis\"");
        Api.error(res, 401, presented == null ? "Missing bearer token" : "Invalid bearer token");
    }
}
