package ai.aegis.keycloak;

/**
 * One Keycloak per test JVM, with the {@link AegisRealm}: a start costs 20 to 60 s, so the tests that need an
 * identity provider share one, started by the first of them that asks; tests that never call {@link #get()} start
 * none. It stops at JVM exit (the server's own shutdown hook). Tests isolate themselves by their own users
 * ({@link KeycloakServer#createUser}); one that rotates the realm's key must not assume which {@code kid} signs.
 * Do not close it: a test that does makes the next {@code get()} start another.
 */
public final class SharedKeycloak {

    private static KeycloakServer server;

    private SharedKeycloak() {
    }

    public static synchronized KeycloakServer get() {
        if (server == null || server.isClosed()) {
            server = KeycloakServer.start(AegisRealm.json());
        }
        return server;
    }
}
