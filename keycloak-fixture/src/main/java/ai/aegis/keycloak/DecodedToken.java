package ai.aegis.keycloak;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * The header and claims of a JWT, decoded and <em>not verified</em>: for tests that look at what Keycloak issued
 * (which {@code kid} signed it, the roles it carries). Whatever accepts tokens must verify them.
 */
public record DecodedToken(JsonNode header, JsonNode claims) {

    public static DecodedToken decode(String jwt) {
        String[] parts = jwt.split("\\.");
        if (parts.length != 3) {
            throw new IllegalArgumentException("not a signed JWT (" + parts.length + " parts)");
        }
        return new DecodedToken(part(parts[0]), part(parts[1]));
    }

    public String kid() {
        return header.path("kid").asText();
    }

    public String issuer() {
        return claims.path("iss").asText();
    }

    /** {@code aud}, which is a string for one audience and an array for several. */
    public List<String> audience() {
        return texts(claims.path("aud"));
    }

    public List<String> realmRoles() {
        return texts(claims.path("realm_access").path("roles"));
    }

    public String preferredUsername() {
        return claims.path("preferred_username").asText();
    }

    private static List<String> texts(JsonNode node) {
        List<String> texts = new ArrayList<>();
        if (node.isTextual()) {
            texts.add(node.asText());
        }
        node.forEach(element -> texts.add(element.asText()));
        return texts;
    }

    private static JsonNode part(String base64url) {
        try {
            return KeycloakHttp.JSON.readTree(new String(Base64.getUrlDecoder().decode(base64url),
                    StandardCharsets.UTF_8));
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalArgumentException("a part of the JWT is not base64url JSON", e);
        }
    }
}
