package ai.aegis.keycloak;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

import static ai.aegis.keycloak.KeycloakHttp.expect;

/**
 * A real Keycloak for tests: the server distribution that the build of this module unpacked, run as a child
 * process ({@code kc.sh start-dev}, on a JDK it supports, 17 first: {@link KeycloakJava}) on two free loopback
 * ports, with one realm imported from JSON into a fresh data directory, so every server starts from the realm file
 * and nothing else.
 * The issuer is fixed by {@code --hostname}: tokens say {@code iss} = {@link #issuer()} whoever asks for them.
 *
 * <p>It costs 20 to 30 s and about 500 MB to start (about 30 s more for the very first start on a distribution,
 * which rebuilds it for the dev profile), so a test JVM runs one, {@link SharedKeycloak}, and only tests that need
 * it start it. {@link #close()} stops the server and every process under it; a shutdown hook does so at JVM exit,
 * and the server stops by itself when the JVM that started it dies without running hooks: it is started by
 * {@code while-parent-lives.sh}, which tells it to stop when its standard input, a pipe held by this JVM, closes.
 *
 * <p>The bootstrap admin of the master realm gets a random password, handed over in the environment only (a
 * command line is visible to every user of the machine); {@link #createUser} and {@link #rotateRealmKey} use it
 * through the admin REST API.
 */
public final class KeycloakServer implements AutoCloseable {

    /**
     * A bound, not an expectation: a first start took 58 s on a quiet two-core machine, and 181 s on one with a
     * load of 9 (the dev-profile rebuild alone 92 s); later starts take 20 to 40 s.
     */
    public static final Duration START_TIMEOUT = Duration.ofSeconds(300);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration POLL = Duration.ofMillis(250);
    private static final String HOST = "127.0.0.1";
    private static final String ADMIN = "aegis-admin";
    private static final String WRAPPER = "while-parent-lives.sh";
    /** Within this JVM; the lock file of the distribution serialises starts between JVMs. */
    private static final Object START_LOCK = new Object();
    /** Variables that kc.sh or Keycloak read: the test JVM's environment must not reconfigure the server. */
    private static final Set<String> INHERITED_NOT = Set.of("JAVA", "JAVA_ADD_OPENS", "JAVA_LOCALE",
            "JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS", "CLASSPATH", "DEBUG", "DEBUG_PORT",
            "DEBUG_SUSPEND", "PRINT_ENV");
    private static final List<String> INHERITED_NOT_PREFIXES = List.of("KC_", "QUARKUS_", "JAVA_OPTS");
    private static final System.Logger LOG = System.getLogger(KeycloakServer.class.getName());

    private final String realm;
    private final String baseUri;
    private final Path dir;
    private final Process process;
    private final String adminPassword;
    private final Thread shutdownHook;
    private final KeycloakHttp http = new KeycloakHttp();
    private Duration startup;
    private boolean closed;

    private KeycloakServer(String realm, int port, Path dir, Process process, String adminPassword) {
        this.realm = realm;
        this.baseUri = "http://" + HOST + ":" + port;
        this.dir = dir;
        this.process = process;
        this.adminPassword = adminPassword;
        this.shutdownHook = new Thread(this::stop, "keycloak-shutdown");
    }

    /**
     * Starts a server with the realm {@code realmJson} (a realm export: its {@code realm} field names it) and
     * returns once it is ready and serves the realm's OpenID configuration, or fails within {@link #START_TIMEOUT}
     * with the end of the server's log.
     */
    public static KeycloakServer start(String realmJson) {
        String realm = realmName(realmJson);
        KeycloakDistribution distribution = KeycloakDistribution.locate();
        Path java = KeycloakJava.home();
        Path dir = newServerDir();
        Path data = distribution.newHome(dir);
        try {
            Files.createDirectories(data.resolve("import"));
            Files.writeString(data.resolve("import").resolve(realm + "-realm.json"), realmJson);
            try (InputStream wrapper = KeycloakServer.class.getResourceAsStream(WRAPPER)) {
                Files.copy(wrapper, dir.resolve("bin").resolve(WRAPPER), StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare the Keycloak home " + dir, e);
        }
        String adminPassword = randomSecret();
        synchronized (START_LOCK) {
            try (FileChannel lockFile = FileChannel.open(distribution.startLock(), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE); FileLock ignored = lockFile.lock()) {
                // chosen only now: another JVM's start may have held the lock for minutes
                int[] ports = freePorts();
                long started = System.nanoTime();
                KeycloakServer server = new KeycloakServer(realm, ports[0], dir,
                        launch(dir, java, adminPassword, ports[0], ports[1]), adminPassword);
                Runtime.getRuntime().addShutdownHook(server.shutdownHook);
                try {
                    server.awaitReady(HOST, ports[1]);
                    server.checkDiscovery();
                } catch (RuntimeException e) {
                    server.close();
                    throw e;
                }
                server.startup = Duration.ofNanos(System.nanoTime() - started);
                LOG.log(System.Logger.Level.INFO, "Keycloak {0} ready in {1} ms at {2} (JDK {3}, log {4})",
                        distribution.version(), Long.toString(server.startup.toMillis()), server.issuer(), java,
                        server.log());
                return server;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot start Keycloak in " + dir, e);
            }
        }
    }

    /** {@code http://127.0.0.1:P/realms/<realm>}: the {@code iss} of every token of the realm. */
    public String issuer() {
        return baseUri + "/realms/" + realm;
    }

    public URI jwksUri() {
        return URI.create(issuer() + "/protocol/openid-connect/certs");
    }

    public URI tokenEndpoint() {
        return URI.create(issuer() + "/protocol/openid-connect/token");
    }

    public String realm() {
        return realm;
    }

    /** The server's output (kept after {@link #close()}). */
    public Path log() {
        return dir.resolve("keycloak.log");
    }

    /** How long the start took, from launching the process to ready. */
    public Duration startup() {
        return startup;
    }

    /** An access token of the client's service account (client-credentials grant). */
    public String clientCredentialsToken(String clientId, String secret) {
        return accessToken("a client-credentials token of " + clientId, tokenEndpoint(), Map.of(
                "grant_type", "client_credentials", "client_id", clientId, "client_secret", secret));
    }

    /** An access token of a user of the realm (password grant, through a confidential client). */
    public String passwordToken(String clientId, String secret, String username, String password) {
        return accessToken("a password token of " + username, tokenEndpoint(), Map.of("grant_type", "password",
                "client_id", clientId, "client_secret", secret, "username", username, "password", password));
    }

    /**
     * Creates an enabled user of the realm with a password and realm roles; returns its id. It gets an e-mail
     * address and names: the realm's user profile requires them, and without them the password grant refuses the
     * user ("Account is not fully set up").
     */
    public String createUser(String username, String password, String... realmRoles) {
        String token = adminToken();
        Map<String, Object> user = Map.of("username", username, "enabled", true,
                "email", username + "@example.test", "emailVerified", true,
                "firstName", username, "lastName", "Tester",
                "credentials", List.of(Map.of("type", "password", "value", password, "temporary", false)));
        String id = expect(201, "create user " + username, http.postJson(admin("/users"), token, user)).createdId();
        List<JsonNode> roles = new ArrayList<>();
        for (String role : realmRoles) {
            roles.add(expect(200, "realm role " + role, http.get(admin("/roles/" + role), token)).json());
        }
        if (!roles.isEmpty()) {
            expect(204, "grant " + List.of(realmRoles) + " to " + username,
                    http.postJson(admin("/users/" + id + "/role-mappings/realm"), token, roles));
        }
        return id;
    }

    /**
     * Adds a generated RSA key to the realm with a priority above every key it has, so that the realm signs with it
     * from now on; returns its {@code kid}. The older keys stay in the JWKS (tokens signed before stay verifiable),
     * as in a real rotation.
     */
    public String rotateRealmKey() {
        String token = adminToken();
        int top = 0;
        for (JsonNode key : realmKeys(token).path("keys")) {
            top = Math.max(top, key.path("providerPriority").asInt());
        }
        String realmId = expect(200, "realm " + realm, http.get(admin(""), token)).json().path("id").asText();
        Map<String, Object> provider = Map.of("name", "aegis-rotated-" + (top + 1), "providerId", "rsa-generated",
                "providerType", "org.keycloak.keys.KeyProvider", "parentId", realmId,
                "config", Map.of("priority", List.of(Integer.toString(top + 1)), "algorithm", List.of("RS256")));
        String providerId = expect(201, "add a key provider",
                http.postJson(admin("/components"), token, provider)).createdId();
        JsonNode keys = realmKeys(token);
        String kid = StreamSupport.stream(keys.path("keys").spliterator(), false)
                .filter(key -> providerId.equals(key.path("providerId").asText()))
                .map(key -> key.path("kid").asText())
                .findFirst().orElseThrow(() -> new IllegalStateException("the new key provider " + providerId
                        + " has no key: " + keys));
        if (!kid.equals(keys.path("active").path("RS256").asText())) {
            throw new IllegalStateException("the new key " + kid + " is not the active RS256 key: " + keys);
        }
        return kid;
    }

    /** Stops the server and every process under it (SIGTERM, then SIGKILL after 30 s); keeps its log. */
    @Override
    public void close() {
        stop();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // the JVM is already shutting down: the hook is running, or has
        }
    }

    public synchronized boolean isClosed() {
        return closed;
    }

    @Override
    public String toString() {
        return "KeycloakServer[" + issuer() + ", " + (process.isAlive() ? "running" : "stopped") + "]";
    }

    /** The password of the master realm's bootstrap admin (for the test that checks no command line shows it). */
    String adminPassword() {
        return adminPassword;
    }

    /** The process this JVM started ({@code while-parent-lives.sh}); kc.sh and Keycloak's JVM run under it. */
    ProcessHandle process() {
        return process.toHandle();
    }

    private synchronized void stop() {
        if (closed) {
            return;
        }
        closed = true;
        List<ProcessHandle> tree = Stream.concat(Stream.of(process.toHandle()), process.descendants()).toList();
        try {
            // end-of-file for the wrapper's watcher, which sends SIGTERM to kc.sh, which forwards it to Keycloak
            process.getOutputStream().close();
        } catch (IOException e) {
            // a closed pipe is what we want
        }
        if (!awaitExit(tree, STOP_TIMEOUT)) {
            LOG.log(System.Logger.Level.WARNING, "Keycloak did not stop within {0} s, killing it",
                    STOP_TIMEOUT.toSeconds());
            tree.forEach(ProcessHandle::destroyForcibly);
            awaitExit(tree, STOP_TIMEOUT);
        }
        deleteAllButLog();
    }

    private void awaitReady(String host, int managementPort) {
        URI ready = URI.create("http://" + host + ":" + managementPort + "/health/ready");
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("Keycloak exited with " + process.exitValue() + " while starting; "
                        + logTail());
            }
            try {
                if (http.get(ready, null).status() == 200) {
                    return;
                }
            } catch (UncheckedIOException e) {
                // not listening yet
            }
            // the pause between polls, cut short if the server exits
            try {
                process.onExit().get(POLL.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                // still starting
            } catch (ExecutionException e) {
                throw new IllegalStateException("cannot watch the Keycloak process", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while Keycloak was starting", e);
            }
        }
        throw new IllegalStateException("Keycloak was not ready within " + START_TIMEOUT.toSeconds() + " s ("
                + ready + "); " + logTail());
    }

    /** The realm's OpenID configuration names the endpoints this class hands out: else --hostname did not take. */
    private void checkDiscovery() {
        JsonNode discovery = expect(200, "the OpenID configuration of realm " + realm,
                http.get(URI.create(issuer() + "/.well-known/openid-configuration"), null)).json();
        Map<String, String> expected = Map.of("issuer", issuer(), "jwks_uri", jwksUri().toString(),
                "token_endpoint", tokenEndpoint().toString());
        expected.forEach((field, value) -> {
            if (!value.equals(discovery.path(field).asText())) {
                throw new IllegalStateException("the OpenID configuration says " + field + " "
                        + discovery.path(field) + ", expected " + value);
            }
        });
    }

    private String accessToken(String what, URI endpoint, Map<String, String> form) {
        JsonNode answer = expect(200, what, http.postForm(endpoint, form)).json();
        String token = answer.path("access_token").asText();
        if (token.isEmpty()) {
            throw new IllegalStateException(what + ": no access_token in " + answer);
        }
        return token;
    }

    /**
     * Sets how long the realm's access tokens live (Keycloak's default is 300 s): a test that needs a real token to
     * expire shortens it, and sets it back after.
     */
    public void setAccessTokenLifespan(java.time.Duration lifespan) {
        expect(204, "the access token lifespan of realm " + realm, http.putJson(admin(""), adminToken(),
                Map.of("accessTokenLifespan", (int) lifespan.toSeconds())));
    }

    /** A real access token of another realm (the master realm's admin): of an issuer the tests do not trust. */
    public String masterAdminToken() {
        return adminToken();
    }

    private String adminToken() {
        // fetched for each admin call: the master realm's tokens live a minute, a test may run longer
        return accessToken("an admin token", URI.create(baseUri + "/realms/master/protocol/openid-connect/token"),
                Map.of("grant_type", "password", "client_id", "admin-cli", "username", ADMIN,
                        "password", adminPassword));
    }

    private JsonNode realmKeys(String token) {
        return expect(200, "the keys of realm " + realm, http.get(admin("/keys"), token)).json();
    }

    private URI admin(String path) {
        return URI.create(baseUri + "/admin/realms/" + realm + path);
    }

    private String logTail() {
        try {
            List<String> lines = Files.readAllLines(log(), StandardCharsets.UTF_8);
            return "its log (" + log() + ") ends:\n"
                    + String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "no log at " + log() + ": " + e.getMessage();
        }
    }

    /** The data (the dev database) goes; the log stays for whoever reads the test report. Links are not followed. */
    private void deleteAllButLog() {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder())
                    .filter(path -> !path.equals(dir) && !path.equals(log()))
                    .forEach(path -> path.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            // best effort: a leftover directory under target/ is harmless
        }
    }

    private static boolean awaitExit(List<ProcessHandle> processes, Duration within) {
        try {
            CompletableFuture.allOf(processes.stream().map(ProcessHandle::onExit).toArray(CompletableFuture[]::new))
                    .get(within.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot wait for the Keycloak processes", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static Process launch(Path dir, Path java, String adminPassword, int port, int managementPort)
            throws IOException {
        ProcessBuilder builder = new ProcessBuilder("/bin/sh", dir.resolve("bin").resolve(WRAPPER).toString(),
                "start-dev", "--http-host=" + HOST, "--http-port=" + port,
                "--http-management-port=" + managementPort, "--hostname=http://" + HOST + ":" + port,
                "--health-enabled=true", "--import-realm")
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("keycloak.log").toFile()));
        Map<String, String> env = builder.environment();
        env.keySet().removeIf(name -> INHERITED_NOT.contains(name)
                || INHERITED_NOT_PREFIXES.stream().anyMatch(name::startsWith));
        env.put("JAVA_HOME", java.toString());
        // the secret goes in the environment, never on the command line (ps shows command lines to everyone)
        env.put("KC_BOOTSTRAP_ADMIN_USERNAME", ADMIN);
        env.put("KC_BOOTSTRAP_ADMIN_PASSWORD", adminPassword);
        // standard input stays a pipe held by this JVM: while-parent-lives.sh stops the server when it closes
        return builder.start();
    }

    private static String realmName(String realmJson) {
        try {
            String name = KeycloakHttp.JSON.readTree(realmJson).path("realm").asText();
            if (name.isEmpty()) {
                throw new IllegalArgumentException("the realm JSON has no \"realm\" field");
            }
            return name;
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("the realm is not JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** Under the module's {@code target/} when the tests run there (surefire's working directory), else in /tmp. */
    private static Path newServerDir() {
        Path target = Path.of("target");
        Path parent = Files.isDirectory(target) ? target.resolve("keycloak-servers")
                : Path.of(System.getProperty("java.io.tmpdir"));
        try {
            Files.createDirectories(parent);
            return Files.createTempDirectory(parent, "keycloak-").toAbsolutePath();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a directory for Keycloak under " + parent, e);
        }
    }

    private static int[] freePorts() {
        // both sockets open at once, so the two ports differ
        try (ServerSocket http = bound(); ServerSocket management = bound()) {
            return new int[] {http.getLocalPort(), management.getLocalPort()};
        } catch (IOException e) {
            throw new UncheckedIOException("cannot find free ports", e);
        }
    }

    private static ServerSocket bound() throws IOException {
        ServerSocket socket = new ServerSocket();
        try {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getByName(HOST), 0));
            return socket;
        } catch (IOException e) {
            socket.close();
            throw e;
        }
    }

    private static String randomSecret() {
        byte[] bytes = new byte[24];
        new SecureRandom().nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
