package ai.aegis.ingress.auth;

import ai.aegis.topology.secrets.SecretFiles;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * The local API token of an installation without an identity provider (the embedded default): created at first start with
 * 256 random bits, stored owner-only under the data directory, compared in constant time.
 */
public final class LocalApiToken implements Authenticator {

    public static final String FILE_NAME = "api-token";

    private final Path file;
    private final byte[] token;

    private LocalApiToken(Path file, String token) {
        this.file = file;
        this.token = token.getBytes(StandardCharsets.UTF_8);
    }

    /** Loads the token from {@code dataDir/api-token}, creating it (mode 0600) if absent. */
    public static LocalApiToken loadOrCreate(Path dataDir) {
        Path file = dataDir.resolve(FILE_NAME);
        try {
            if (!Files.exists(file)) {
                byte[] random = new byte[32];
                new SecureRandom().nextBytes(random);
                // a process of this installation that raced us created it first: theirs is used
                SecretFiles.createIfAbsent(file, ("aegis_" + HexFormat.of().formatHex(random) + "\n")
                        .getBytes(StandardCharsets.UTF_8));
            }
            String value = Files.readString(file).trim();
            if (value.isEmpty()) {
                throw new IllegalStateException("API token file " + file + " is empty; delete it to create a new one");
            }
            return new LocalApiToken(file, value);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or create the API token at " + file, e);
        }
    }

    public Path file() {
        return file;
    }

    /** Constant-time comparison, so response timing tells nothing about the token. */
    public boolean matches(String candidate) {
        if (candidate == null) {
            return false;
        }
        return MessageDigest.isEqual(token, candidate.getBytes(StandardCharsets.UTF_8));
    }

    /** The local token is an operator's; anything else is refused. */
    @Override
    public Result authenticate(String bearer) {
        if (bearer == null) {
            return Authenticator.missing();
        }
        return matches(bearer) ? new Authenticated(ai.aegis.schemas.auth.Caller.LOCAL)
                : new Refused("invalid_token", "Invalid bearer token");
    }
}
