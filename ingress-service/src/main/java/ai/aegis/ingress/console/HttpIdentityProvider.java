package ai.aegis.ingress.console;

import ai.aegis.schemas.json.Json;
import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * {@link IdentityProvider} over HTTP: the discovery document is fetched on the first login and kept for the node's
 * life (an issuer's endpoints do not move; a failed fetch is not kept, so the next login tries again).
 */
public final class HttpIdentityProvider implements IdentityProvider {

    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    /** Discovery documents and token answers are a few kB; more is not an identity provider's. */
    private static final int MAX_BODY = 256 * 1024;

    private final String issuer;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT)
            .followRedirects(HttpClient.Redirect.NEVER).build();
    private volatile Endpoints endpoints;

    public HttpIdentityProvider(String issuer) {
        this.issuer = issuer;
    }

    @Override
    public Endpoints endpoints() {
        Endpoints known = endpoints;
        if (known != null) {
            return known;
        }
        URI discovery = URI.create(issuer + "/.well-known/openid-configuration");
        JsonNode doc = send(HttpRequest.newBuilder(discovery).timeout(TIMEOUT).header("Accept", "application/json")
                .GET().build(), true);
        String said = doc.path("issuer").asText("");
        // OIDC Discovery 4.3: the document's issuer is the one asked for, else it is not that issuer's
        if (!said.replaceAll("/+$", "").equals(issuer)) {
            throw new IllegalStateException(discovery + " names the issuer '" + said + "', not " + issuer);
        }
        Endpoints found = new Endpoints(said, uri(doc, "authorization_endpoint"), uri(doc, "token_endpoint"));
        endpoints = found;
        return found;
    }

    @Override
    public TokenAnswer redeem(URI tokenEndpoint, Map<String, String> form) {
        JsonNode answer = send(HttpRequest.newBuilder(tokenEndpoint).timeout(TIMEOUT)
                .header("Content-Type", "application/x-www-form-urlencoded").header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(form(form))).build(), false);
        return new TokenAnswer(text(answer, "access_token"), text(answer, "id_token"), text(answer, "error"),
                text(answer, "error_description"));
    }

    /** The JSON answer; with {@code ok200}, anything but 200 throws (an error answer of the token endpoint is JSON). */
    private JsonNode send(HttpRequest request, boolean ok200) {
        HttpResponse<InputStream> res;
        byte[] body;
        try {
            res = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream in = res.body()) {
                if (ok200 && res.statusCode() != 200) {
                    throw new IllegalStateException(request.uri() + " answered " + res.statusCode());
                }
                // at most one byte past the limit is read: a larger answer is refused without being held
                body = in.readNBytes(MAX_BODY + 1);
            }
        } catch (IOException e) {
            throw new IllegalStateException(request.uri() + " did not answer: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted calling " + request.uri(), e);
        }
        if (body.length > MAX_BODY) {
            throw new IllegalStateException(request.uri() + " answered more than " + MAX_BODY + " bytes");
        }
        JsonNode json;
        try {
            json = Json.tree(new String(body, StandardCharsets.UTF_8));
        } catch (RuntimeException e) {
            throw new IllegalStateException(request.uri() + " answered " + res.statusCode() + " without JSON", e);
        }
        if (json == null || !json.isObject()) {
            throw new IllegalStateException(request.uri() + " answered " + res.statusCode() + " without a JSON object");
        }
        return json;
    }

    private static URI uri(JsonNode doc, String field) {
        String value = doc.path(field).asText("");
        if (value.isEmpty()) {
            throw new IllegalStateException("the discovery document has no " + field);
        }
        return URI.create(value);
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v != null && v.isTextual() ? v.asText() : null;
    }

    /** {@code application/x-www-form-urlencoded}, in the map's order: a token request's body, an authorization query. */
    static String form(Map<String, String> fields) {
        return fields.entrySet().stream()
                .map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "="
                        + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
    }
}
