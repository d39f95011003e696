package ai.aegis.keycloak;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/** The few HTTP exchanges the fixture has with Keycloak: forms to the token endpoint, JSON to the admin API. */
final class KeycloakHttp {

    static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    /** An answer: its status, its body, and where a 201 says the new resource is. */
    record Answer(int status, String body, Optional<String> location) {

        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("not JSON (" + status + "): " + body, e);
            }
        }

        /** The id at the end of the {@code Location} of a created resource. */
        String createdId() {
            String at = location.orElseThrow(() -> new IllegalStateException("no Location in the answer " + status));
            return at.substring(at.lastIndexOf('/') + 1);
        }
    }

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();

    Answer postForm(URI uri, Map<String, String> form) {
        String body = form.entrySet().stream()
                .map(e -> encode(e.getKey()) + "=" + encode(e.getValue()))
                .collect(Collectors.joining("&"));
        return send(HttpRequest.newBuilder(uri).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    Answer get(URI uri, String bearer) {
        return send(authorized(uri, bearer).GET());
    }

    Answer postJson(URI uri, String bearer, Object body) {
        return sendJson(uri, bearer, "POST", body);
    }

    Answer putJson(URI uri, String bearer, Object body) {
        return sendJson(uri, bearer, "PUT", body);
    }

    private Answer sendJson(URI uri, String bearer, String method, Object body) {
        try {
            return send(authorized(uri, bearer).header("Content-Type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot write " + body + " as JSON", e);
        }
    }

    /** An answer of the expected status, or an exception that shows the one that came (Keycloak says why). */
    static Answer expect(int status, String what, Answer answer) {
        if (answer.status() != status) {
            throw new IllegalStateException(what + ": HTTP " + answer.status() + " (expected " + status + "): "
                    + answer.body());
        }
        return answer;
    }

    private static HttpRequest.Builder authorized(URI uri, String bearer) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(uri).header("Accept", "application/json");
        return bearer == null ? builder : builder.header("Authorization", "Bearer " + bearer);
    }

    private Answer send(HttpRequest.Builder builder) {
        HttpRequest request = builder.timeout(TIMEOUT).build();
        try {
            HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
            return new Answer(response.statusCode(), response.body(), response.headers().firstValue("Location"));
        } catch (IOException e) {
            throw new UncheckedIOException(request.method() + " " + request.uri() + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for Keycloak", e);
        }
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
