package ai.aegis.keycloak;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The realm {@code aegis} that the OIDC tests run against ({@code realm-aegis.json} beside this class): the
 * confidential client {@code aegis-service} (client-credentials and password grants, an audience mapper that adds
 * {@value #AUDIENCE} to its access tokens), the public client {@value #CONSOLE_CLIENT_ID} of the web console's
 * login (authorization code flow, PKCE S256 required, the same audience mapper; its redirect URIs are
 * {@code http://127.0.0.1/console/oidc/callback}, with and without {@code :80}, which Keycloak matches on any port,
 * as RFC 8252 7.3 has it for loopback addresses (it retries with port 80): the tests' ingress binds a free port), and
 * one user per realm role. Test credentials only.
 *
 * <p>The realm has no top-level {@code clientScopes} array on purpose: one would replace Keycloak's built-in scopes,
 * and the tokens would lose {@code realm_access} (the roles).
 */
public final class AegisRealm {

    public static final String NAME = "aegis";
    public static final String CLIENT_ID = "aegis-service";
    public static final String CLIENT_SECRET = "aegis-service-secret";
    /** The console's public client (no secret: the ingress proves the login with PKCE). */
    public static final String CONSOLE_CLIENT_ID = "aegis-console";
    /** In the {@code aud} of every access token of {@link #CLIENT_ID} and {@link #CONSOLE_CLIENT_ID}. */
    public static final String AUDIENCE = "aegis-api";
    /** The realm role of the client's service account (its client-credentials tokens). */
    public static final String SERVICE_ACCOUNT_ROLE = "aegis-operator";

    /** A user of the realm and the one realm role it was given (besides the defaults). */
    public record User(String username, String password, String role) {
    }

    public static final User ALICE = new User("alice", "alice-password", "aegis-operator");
    public static final User VICTOR = new User("victor", "victor-password", "aegis-viewer");
    public static final User APRIL = new User("april", "april-password", "aegis-approver");
    public static final List<User> USERS = List.of(ALICE, VICTOR, APRIL);

    private AegisRealm() {
    }

    /** The realm export, for {@link KeycloakServer#start}. */
    public static String json() {
        try (InputStream in = AegisRealm.class.getResourceAsStream("realm-aegis.json")) {
            if (in == null) {
                throw new IllegalStateException("realm-aegis.json is missing from the class path");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read realm-aegis.json", e);
        }
    }
}
