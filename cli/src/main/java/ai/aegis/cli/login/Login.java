package ai.aegis.cli.login;

import ai.aegis.cli.AegisSystem;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * {@code aegis login}, {@code aegis token} and {@code aegis logout}: getting an access token from the identity
 * provider the API trusts, keeping it (mode 0600, {@link StoredToken}) and handing out a fresh one.
 * <ul>
 *   <li>{@code aegis login --issuer URL --client-id ID} with the client secret in {@code AEGIS_CLIENT_SECRET} or
 *       {@code --client-secret-file F} (never on the command line): the client credentials grant, for services;
 *   <li>{@code aegis login --issuer URL --client-id ID --device}: the device authorization grant, for people: it
 *       prints where to go and which code to enter, and waits;
 *   <li>{@code aegis token}: prints an access token valid for at least 30 s more, refreshing it (refresh token) or
 *       granting a new one (client credentials) first when needed: {@code curl -H "Authorization: Bearer
 *       $(aegis token)" ...};
 *   <li>{@code aegis logout}: forgets it.
 * </ul>
 */
public final class Login {

    /** A token this close to its expiry is renewed before it is handed out. */
    static final long MARGIN_SECONDS = 30;
    public static final String SECRET_ENV = "AEGIS_CLIENT_SECRET";

    private final TokenClient client;
    private final Function<String, String> env;

    public Login(TokenClient client, Function<String, String> env) {
        this.client = client;
        this.env = env;
    }

    /** The token file in the data directory ({@link #dataDir}). */
    public static Path tokenFile(Optional<Path> dataDir, Function<String, String> env) {
        return dataDir(dataDir, env).resolve(StoredToken.FILE_NAME);
    }

    /** The data directory: {@code --data-dir}, else {@code AEGIS_DATA_DIR}, else {@code ~/.aegis}. */
    public static Path dataDir(Optional<Path> dataDir, Function<String, String> env) {
        return dataDir.orElseGet(() -> Optional.ofNullable(env.apply("AEGIS_DATA_DIR")).map(Path::of)
                .orElseGet(AegisSystem::defaultDataDir));
    }

    public int login(String[] args, PrintStream out) throws IOException, InterruptedException {
        Map<String, String> o = options(args, "--issuer", "--client-id", "--client-secret-file", "--data-dir",
                "--device");
        String issuer = required(o, "--issuer");
        String clientId = required(o, "--client-id");
        Path file = tokenFile(Optional.ofNullable(o.get("--data-dir")).map(Path::of), env);
        TokenClient.Endpoints endpoints = client.discover(issuer);
        StoredToken stored;
        if (o.containsKey("--device")) {
            if (endpoints.deviceEndpoint() == null) {
                throw new IllegalArgumentException(issuer + " offers no device authorization endpoint");
            }
            TokenClient.DeviceCode code = client.startDevice(endpoints.deviceEndpoint(), clientId);
            out.println("To log in, open " + (code.verificationUriComplete() != null ? code.verificationUriComplete()
                    : code.verificationUri()) + " and enter the code " + code.userCode());
            TokenClient.Tokens t = client.awaitDevice(endpoints.tokenEndpoint(), clientId, code);
            stored = new StoredToken(issuer, endpoints.tokenEndpoint(), clientId, "device_code", null,
                    t.accessToken(), t.refreshToken(), t.expiresAt());
        } else {
            String secretFile = o.get("--client-secret-file");
            TokenClient.Tokens t = client.clientCredentials(endpoints.tokenEndpoint(), clientId, secret(secretFile));
            stored = new StoredToken(issuer, endpoints.tokenEndpoint(), clientId, "client_credentials", secretFile,
                    t.accessToken(), t.refreshToken(), t.expiresAt());
        }
        stored.save(file);
        out.println("logged in to " + issuer + " as client " + clientId + "; the token is in " + file
                + " (mode 0600); `aegis token` prints it");
        return 0;
    }

    /** Prints a fresh access token: the stored one, or a renewed one (then stored). */
    public int token(String[] args, PrintStream out) throws IOException, InterruptedException {
        Map<String, String> o = options(args, "--data-dir");
        Path file = tokenFile(Optional.ofNullable(o.get("--data-dir")).map(Path::of), env);
        out.println(fresh(file).accessToken());
        return 0;
    }

    public int logout(String[] args, PrintStream out) throws IOException {
        Map<String, String> o = options(args, "--data-dir");
        Path file = tokenFile(Optional.ofNullable(o.get("--data-dir")).map(Path::of), env);
        out.println(Files.deleteIfExists(file) ? "logged out (" + file + " removed)" : "not logged in");
        return 0;
    }

    /** The stored token, renewed first when it expires within {@link #MARGIN_SECONDS}. */
    public StoredToken fresh(Path file) throws IOException, InterruptedException {
        StoredToken s = StoredToken.load(file);
        if (s.freshAt(Instant.now(), MARGIN_SECONDS)) {
            return s;
        }
        TokenClient.Tokens t;
        if (s.refreshToken() != null) {
            t = client.refresh(s.tokenEndpoint(), s.clientId(), s.refreshToken());
        } else if ("client_credentials".equals(s.grant())) {
            t = client.clientCredentials(s.tokenEndpoint(), s.clientId(), secret(s.secretFile()));
        } else {
            throw new IllegalArgumentException("the token expired and cannot be renewed: run `aegis login` again");
        }
        StoredToken renewed = new StoredToken(s.issuer(), s.tokenEndpoint(), s.clientId(), s.grant(), s.secretFile(),
                t.accessToken(), t.refreshToken() != null ? t.refreshToken() : s.refreshToken(), t.expiresAt());
        renewed.save(file);
        return renewed;
    }

    private String secret(String secretFile) throws IOException {
        if (secretFile != null) {
            return Files.readString(Path.of(secretFile), StandardCharsets.UTF_8).strip();
        }
        String fromEnv = env.apply(SECRET_ENV);
        if (fromEnv == null || fromEnv.isBlank()) {
            throw new IllegalArgumentException("the client secret comes from " + SECRET_ENV
                    + " or --client-secret-file (never the command line), or use --device");
        }
        return fromEnv;
    }

    private static String required(Map<String, String> o, String name) {
        String v = o.get(name);
        if (v == null || v.isBlank()) {
            throw new IllegalArgumentException(name + " is required");
        }
        return v;
    }

    /** {@code --name value} pairs, and {@code --device} alone; anything else is refused. */
    private static Map<String, String> options(String[] args, String... known) {
        java.util.List<String> names = java.util.List.of(known);
        Map<String, String> o = new java.util.HashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!names.contains(a)) {
                throw new IllegalArgumentException("unknown option " + a + " (known: " + names + ")");
            }
            if (a.equals("--device")) {
                o.put(a, "true");
            } else if (i + 1 < args.length) {
                o.put(a, args[++i]);
            } else {
                throw new IllegalArgumentException(a + " needs a value");
            }
        }
        return o;
    }
}
