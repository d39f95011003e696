package ai.aegis.keycloak;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static ai.aegis.keycloak.AegisRealm.CLIENT_ID;
import static ai.aegis.keycloak.AegisRealm.CLIENT_SECRET;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The fixture against the real server: the tokens the realm issues are what the OIDC tests will rely on (issuer,
 * audience, roles, a {@code kid} the JWKS lists), the admin helpers do what they say, and closing leaves no process.
 * One server for the whole class (a start costs 20 to 60 s); the rotation runs after the token cases, the close last.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KeycloakServerTest {

    private static final List<AegisRealm.User> USERS = AegisRealm.USERS;
    private static KeycloakServer keycloak;

    @BeforeAll
    static void start() {
        keycloak = KeycloakServer.start(AegisRealm.json());
        // read in the surefire report: how long a start takes on this machine
        System.out.println("keycloak-fixture | start " + keycloak.startup().toMillis() + " ms");
    }

    @AfterAll
    static void stop() {
        if (keycloak != null) {
            keycloak.close();
        }
    }

    @Test
    @Order(1)
    void aClientCredentialsTokenIsTheServiceAccountsForTheApi() throws Exception {
        DecodedToken token = DecodedToken.decode(keycloak.clientCredentialsToken(CLIENT_ID, CLIENT_SECRET));

        assertThat(token.issuer()).isEqualTo(keycloak.issuer()).isEqualTo(
                "http://127.0.0.1:" + keycloak.tokenEndpoint().getPort() + "/realms/aegis");
        assertThat(token.audience()).contains(AegisRealm.AUDIENCE);
        assertThat(token.realmRoles()).contains(AegisRealm.SERVICE_ACCOUNT_ROLE);
        assertThat(token.preferredUsername()).isEqualTo("service-account-" + CLIENT_ID);
        assertThat(jwksKids()).contains(token.kid());
    }

    @ParameterizedTest
    @FieldSource("USERS")
    @Order(1)
    void aPasswordTokenCarriesItsUsersRoleAndNoOther(AegisRealm.User user) throws Exception {
        DecodedToken token = DecodedToken.decode(keycloak.passwordToken(CLIENT_ID, CLIENT_SECRET, user.username(),
                user.password()));

        assertThat(token.issuer()).isEqualTo(keycloak.issuer());
        assertThat(token.audience()).contains(AegisRealm.AUDIENCE);
        assertThat(token.preferredUsername()).isEqualTo(user.username());
        assertThat(token.realmRoles()).contains(user.role())
                .doesNotContainAnyElementsOf(USERS.stream().map(AegisRealm.User::role)
                        .filter(role -> !role.equals(user.role())).toList());
        assertThat(jwksKids()).contains(token.kid());
    }

    @Test
    @Order(1)
    void aWrongPasswordIsRefusedWithKeycloaksReason() {
        assertThatThrownBy(() -> keycloak.passwordToken(CLIENT_ID, CLIENT_SECRET, "alice", "not-her-password"))
                .hasMessageContaining("HTTP 400").hasMessageContaining("invalid_grant");
    }

    @Test
    @Order(1)
    void aCreatedUserLogsInWithTheRolesItWasGiven() {
        keycloak.createUser("carol", "carol-password", "aegis-viewer", "aegis-approver");

        DecodedToken token = DecodedToken.decode(keycloak.passwordToken(CLIENT_ID, CLIENT_SECRET, "carol",
                "carol-password"));
        assertThat(token.preferredUsername()).isEqualTo("carol");
        assertThat(token.realmRoles()).contains("aegis-viewer", "aegis-approver").doesNotContain("aegis-operator");
    }

    @Test
    @Order(1)
    void theAdminPasswordIsOnNoCommandLine() {
        List<String> commandLines = tree().map(p -> p.info().commandLine().orElse("")).toList();

        assertThat(commandLines).as("the server's JVM is among the processes looked at")
                .anyMatch(line -> line.contains("io.quarkus.bootstrap.runner.QuarkusEntryPoint"));
        assertThat(commandLines).noneMatch(line -> line.contains(keycloak.adminPassword()));
    }

    @Test
    @Order(2)
    void afterARotationTokensAreSignedByTheNewKeyAndTheJwksListsBoth() throws Exception {
        String before = DecodedToken.decode(keycloak.clientCredentialsToken(CLIENT_ID, CLIENT_SECRET)).kid();

        String rotated = keycloak.rotateRealmKey();

        String after = DecodedToken.decode(keycloak.passwordToken(CLIENT_ID, CLIENT_SECRET, "alice",
                "alice-password")).kid();
        assertThat(after).isEqualTo(rotated).isNotEqualTo(before);
        assertThat(jwksKids()).contains(before, after);
    }

    @Test
    @Order(3)
    void closeStopsTheServerAndEveryProcessUnderIt() {
        List<ProcessHandle> processes = tree().toList();
        assertThat(processes).as("wrapper, kc.sh or its JVM, watcher").hasSizeGreaterThanOrEqualTo(3);

        keycloak.close();

        assertThat(processes).noneMatch(ProcessHandle::isAlive);
        assertThat(keycloak.isClosed()).isTrue();
        assertThat(keycloak.log()).content().contains("Keycloak stopped");
    }

    private static Stream<ProcessHandle> tree() {
        return Stream.concat(Stream.of(keycloak.process()), keycloak.process().descendants());
    }

    private static List<String> jwksKids() throws IOException, InterruptedException {
        try (HttpClient client = HttpClient.newHttpClient()) {
            HttpResponse<String> response = client.send(HttpRequest.newBuilder(keycloak.jwksUri()).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).isEqualTo(200);
            List<String> kids = new ArrayList<>();
            for (JsonNode key : KeycloakHttp.JSON.readTree(response.body()).path("keys")) {
                kids.add(key.path("kid").asText());
            }
            return kids;
        }
    }
}
