package ai.aegis.cli.login;

import ai.aegis.schemas.json.Json;
import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The OAuth 2.0 calls {@code aegis login} makes against an OIDC provider: discovery, the client credentials grant,
 * the device authorization grant (RFC 8628) and the refresh token grant, over HTTP with form bodies.
 */
public final class TokenClient {

    /** Endpoints from the issuer's discovery document. */
    public record Endpoints(String tokenEndpoint, String deviceEndpoint) {
    }

    /** What the device authorization endpoint answered: what to show the person, and what to poll with. */
    public record DeviceCode(String deviceCode, String userCode, String verificationUri, String verificationUriComplete,
                             int intervalSeconds, Instant expiresAt) {
    }

    /** A token endpoint's answer. */
    public record Tokens(String accessToken, String refreshToken, Instant expiresAt) {
    }

    /** A refusal of the provider: its OAuth {@code error} and description. */
    public static final class OAuthException extends IOException {
        private final String error;

        OAuthException(String error, String description) {
            super(error + (description == null || description.isBlank() ? "" : ": " + description));
            this.error = error;
        }

        public String error() {
            return error;
        }
    }

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    public Endpoints discover(String issuer) throws IOException, InterruptedException {
        URI uri = URI.create(issuer.replaceAll("/+$", "") + "/.well-known/openid-configuration");
        HttpResponse<String> res = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        if (res.statusCode() != 200) {
            throw new IOException("discovery at " + uri + " answered " + res.statusCode());
        }
        JsonNode doc = Json.tree(res.body());
        return new Endpoints(doc.path("token_endpoint").asText(null),
                doc.path("device_authorization_endpoint").asText(null));
    }

    public Tokens clientCredentials(String tokenEndpoint, String clientId, String secret)
            throws IOException, InterruptedException {
        return tokens(post(tokenEndpoint, form("grant_type", "client_credentials", "client_id", clientId,
                "client_secret", secret)));
    }

    public Tokens refresh(String tokenEndpoint, String clientId, String refreshToken)
            throws IOException, InterruptedException {
        return tokens(post(tokenEndpoint, form("grant_type", "refresh_token", "client_id", clientId,
                "refresh_token", refreshToken)));
    }

    public DeviceCode startDevice(String deviceEndpoint, String clientId) throws IOException, InterruptedException {
        JsonNode a = post(deviceEndpoint, form("client_id", clientId, "scope", "openid"));
        return new DeviceCode(a.path("device_code").asText(), a.path("user_code").asText(),
                a.path("verification_uri").asText(), a.path("verification_uri_complete").asText(null),
                Math.max(1, a.path("interval").asInt(5)), Instant.now().plusSeconds(a.path("expires_in").asLong(600)));
    }

    /**
     * Polls the token endpoint until the person has approved the device, at the interval the provider asked for
     * (longer when it says {@code slow_down}), until the code expires.
     */
    public Tokens awaitDevice(String tokenEndpoint, String clientId, DeviceCode code)
            throws IOException, InterruptedException {
        long interval = code.intervalSeconds();
        while (Instant.now().isBefore(code.expiresAt())) {
            try {
                return tokens(post(tokenEndpoint, form("grant_type", "urn:ietf:params:oauth:grant-type:device_code",
                        "client_id", clientId, "device_code", code.deviceCode())));
            } catch (OAuthException e) {
                switch (e.error()) {
                    case "authorization_pending" -> { }
                    case "slow_down" -> interval += 5;
                    default -> throw e;
                }
            }
            // the provider's own pace (RFC 8628 §3.5): a wait the protocol asks for, not a synchronisation
            Thread.sleep(Duration.ofSeconds(interval));
        }
        throw new OAuthException("expired_token", "the device code expired before it was approved");
    }

    private JsonNode post(String endpoint, String body) throws IOException, InterruptedException {
        HttpResponse<String> res = http.send(HttpRequest.newBuilder(URI.create(endpoint))
                        .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/x-www-form-urlencoded")
                        .header("Accept", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        JsonNode answer;
        try {
            answer = Json.tree(res.body());
        } catch (RuntimeException e) {
            throw new IOException(endpoint + " answered " + res.statusCode() + " without JSON");
        }
        if (res.statusCode() / 100 != 2) {
            throw new OAuthException(answer.path("error").asText("http_" + res.statusCode()),
                    answer.path("error_description").asText(null));
        }
        return answer;
    }

    private static Tokens tokens(JsonNode t) throws IOException {
        String access = t.path("access_token").asText(null);
        if (access == null) {
            throw new IOException("the token endpoint answered no access_token");
        }
        return new Tokens(access, t.path("refresh_token").asText(null),
                Instant.now().plusSeconds(t.path("expires_in").asLong(60)));
    }

    private static String form(String... namesAndValues) {
        Map<String, String> fields = new LinkedHashMap<>();
        for (int i = 0; i + 1 < namesAndValues.length; i += 2) {
            fields.put(namesAndValues[i], namesAndValues[i + 1]);
        }
        return fields.entrySet().stream().map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "="
                + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8)).collect(Collectors.joining("&"));
    }
}
