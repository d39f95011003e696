package ai.aegis.cli.login;

import ai.aegis.schemas.json.Json;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code aegis login}/{@code token}/{@code logout} against a provider speaking OAuth 2.0 over real HTTP (discovery,
 * client credentials, the device grant with a pending answer first, refresh), and the token file's mode.
 */
class LoginTest {

    @TempDir
    Path dataDir;

    private final HttpServer provider;
    private final List<Map<String, String>> tokenCalls = new CopyOnWriteArrayList<>();
    private final AtomicInteger pending = new AtomicInteger(1);
    private final AtomicInteger issued = new AtomicInteger();
    private volatile long expiresIn = 300;

    LoginTest() throws IOException {
        provider = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        provider.createContext("/realms/t/.well-known/openid-configuration", ex -> json(ex, 200, Map.of(
                "issuer", issuer(), "token_endpoint", issuer() + "/token",
                "device_authorization_endpoint", issuer() + "/device")));
        provider.createContext("/realms/t/device", ex -> json(ex, 200, Map.of("device_code", "dev-1",
                "user_code", "WXYZ-1234", "verification_uri", issuer() + "/verify",
                "verification_uri_complete", issuer() + "/verify?user_code=WXYZ-1234", "interval", 1,
                "expires_in", 60)));
        provider.createContext("/realms/t/token", ex -> {
            Map<String, String> form = form(ex);
            tokenCalls.add(form);
            switch (form.get("grant_type")) {
                case "client_credentials" -> {
                    if (!"s3cret".equals(form.get("client_secret"))) {
                        json(ex, 401, Map.of("error", "unauthorized_client", "error_description", "bad secret"));
                        return;
                    }
                    json(ex, 200, Map.of("access_token", "cc-" + issued.incrementAndGet(), "expires_in", expiresIn));
                }
                case "urn:ietf:params:oauth:grant-type:device_code" -> {
                    if (pending.getAndDecrement() > 0) {
                        json(ex, 400, Map.of("error", "authorization_pending"));
                        return;
                    }
                    json(ex, 200, Map.of("access_token", "dev-" + issued.incrementAndGet(), "refresh_token",
                            "refresh-1", "expires_in", expiresIn));
                }
                case "refresh_token" -> json(ex, 200, Map.of("access_token", "refreshed-" + issued.incrementAndGet(),
                        "expires_in", 300));
                default -> json(ex, 400, Map.of("error", "unsupported_grant_type"));
            }
        });
        provider.start();
    }

    @AfterEach
    void stop() {
        provider.stop(0);
    }

    private String issuer() {
        return "http://127.0.0.1:" + provider.getAddress().getPort() + "/realms/t";
    }

    private static void json(HttpExchange ex, int status, Map<String, Object> body) throws IOException {
        byte[] bytes = Json.writeBytes(body);
        ex.getResponseHeaders().add("Content-Type", "application/json");
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static Map<String, String> form(HttpExchange ex) throws IOException {
        String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        return Arrays.stream(body.split("&")).map(p -> p.split("=", 2)).collect(Collectors.toMap(
                p -> URLDecoder.decode(p[0], StandardCharsets.UTF_8),
                p -> p.length > 1 ? URLDecoder.decode(p[1], StandardCharsets.UTF_8) : ""));
    }

    private Login login(Map<String, String> env) {
        return new Login(new TokenClient(), env::get);
    }

    private String run(Login login, String command, String... args) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        switch (command) {
            case "login" -> login.login(args, out);
            case "token" -> login.token(args, out);
            default -> login.logout(args, out);
        }
        return bytes.toString(StandardCharsets.UTF_8).strip();
    }

    @Test
    void clientCredentialsFromTheEnvironmentAreStoredOwnerOnlyAndTheTokenIsHandedOut() throws Exception {
        Login login = login(Map.of(Login.SECRET_ENV, "s3cret"));
        run(login, "login", "--issuer", issuer(), "--client-id", "aegis-service", "--data-dir", dataDir.toString());

        Path file = dataDir.resolve(StoredToken.FILE_NAME);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(Files.readString(file)).doesNotContain("s3cret");
        assertThat(tokenCalls.getFirst()).containsEntry("client_id", "aegis-service")
                .containsEntry("client_secret", "s3cret");
        assertThat(run(login, "token", "--data-dir", dataDir.toString())).isEqualTo("cc-1");
        assertThat(tokenCalls).hasSize(1); // fresh: no call

        // close to its expiry it is granted again, with the secret read again
        StoredToken s = StoredToken.load(file);
        new StoredToken(s.issuer(), s.tokenEndpoint(), s.clientId(), s.grant(), s.secretFile(), s.accessToken(),
                null, Instant.now().plusSeconds(5)).save(file);
        assertThat(run(login, "token", "--data-dir", dataDir.toString())).isEqualTo("cc-2");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");

        assertThat(run(login, "logout", "--data-dir", dataDir.toString())).startsWith("logged out");
        assertThatThrownBy(() -> run(login, "token", "--data-dir", dataDir.toString()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("aegis login");
    }

    @Test
    void theSecretComesFromAFileOrTheEnvironmentNeverTheCommandLineAndABadOneIsTheProvidersError()
            throws Exception {
        assertThatThrownBy(() -> run(login(Map.of()), "login", "--issuer", issuer(), "--client-id", "c",
                "--data-dir", dataDir.toString())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(Login.SECRET_ENV);
        assertThatThrownBy(() -> run(login(Map.of()), "login", "--issuer", issuer(), "--client-id", "c",
                "--client-secret", "s3cret")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown option --client-secret");
        Path secret = Files.writeString(dataDir.resolve("secret"), "wrong\n");
        assertThatThrownBy(() -> run(login(Map.of()), "login", "--issuer", issuer(), "--client-id", "c",
                "--client-secret-file", secret.toString(), "--data-dir", dataDir.toString()))
                .isInstanceOf(TokenClient.OAuthException.class).hasMessageContaining("unauthorized_client");
        Files.writeString(secret, "s3cret\n");
        run(login(Map.of()), "login", "--issuer", issuer(), "--client-id", "c", "--client-secret-file",
                secret.toString(), "--data-dir", dataDir.toString());
        assertThat(StoredToken.load(dataDir.resolve(StoredToken.FILE_NAME)).secretFile()).isEqualTo(secret.toString());
    }

    @Test
    void theDeviceGrantShowsTheCodeWaitsForTheApprovalAndRefreshes() throws Exception {
        Login login = login(Map.of());
        String shown = run(login, "login", "--issuer", issuer(), "--client-id", "aegis-cli", "--device",
                "--data-dir", dataDir.toString());
        assertThat(shown).contains("WXYZ-1234").contains("/verify?user_code=WXYZ-1234");
        // one pending answer, then the token
        assertThat(tokenCalls).hasSize(2);
        assertThat(tokenCalls.get(1)).containsEntry("device_code", "dev-1");
        Path file = dataDir.resolve(StoredToken.FILE_NAME);
        assertThat(StoredToken.load(file).refreshToken()).isEqualTo("refresh-1");

        StoredToken s = StoredToken.load(file);
        new StoredToken(s.issuer(), s.tokenEndpoint(), s.clientId(), s.grant(), null, s.accessToken(),
                s.refreshToken(), Instant.now()).save(file);
        assertThat(run(login, "token", "--data-dir", dataDir.toString())).startsWith("refreshed-");
        assertThat(tokenCalls.getLast()).containsEntry("grant_type", "refresh_token")
                .containsEntry("refresh_token", "refresh-1");
        assertThat(StoredToken.load(file).refreshToken()).isEqualTo("refresh-1");
    }
}
