package ai.aegis.cli.login;

import ai.aegis.schemas.json.Json;
import com.fasterxml.jackson.annotation.JsonIgnore;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.Set;

/**
 * What {@code aegis login} keeps between commands, in a file only its owner can read or write (mode 0600): the access
 * token, the refresh token when the grant gave one, when the access token expires, and how to get a new one (the
 * token endpoint, the client id, and for client credentials where the secret is read from, never the secret).
 *
 * @param grant            {@code client_credentials} or {@code device_code}
 * @param secretFile       client credentials: the file the secret was read from (null: {@code AEGIS_CLIENT_SECRET})
 */
public record StoredToken(String issuer, String tokenEndpoint, String clientId, String grant, String secretFile,
                          String accessToken, String refreshToken, Instant expiresAt) {

    /** The file's name in the data directory. */
    public static final String FILE_NAME = "oidc-token.json";
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    /** Whether the access token is still good for {@code margin} seconds at {@code now}. */
    @JsonIgnore
    public boolean freshAt(Instant now, long marginSeconds) {
        return expiresAt != null && now.plusSeconds(marginSeconds).isBefore(expiresAt);
    }

    /** Writes it to {@code file} with mode 0600: a new file created with those permissions, then moved in place. */
    public void save(Path file) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        Path temp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(temp);
        try {
            Files.createFile(temp, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
        } catch (FileAlreadyExistsException e) {
            throw new IOException("could not create " + temp + " afresh", e);
        } catch (UnsupportedOperationException e) {
            Files.createFile(temp); // not a POSIX file system
        }
        Files.write(temp, Json.writeBytes(this));
        Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    public static StoredToken load(Path file) throws IOException {
        if (!Files.exists(file)) {
            throw new IllegalArgumentException("not logged in: run `aegis login` first (no " + file + ")");
        }
        return Json.read(Files.readAllBytes(file), StoredToken.class);
    }
}
