package ai.aegis.topology.config;

import io.helidon.config.Config;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * A process's stable identity across restarts: {@code aegis.instance-id}, else the id kept in
 * {@code <data-dir>/instance-id}, created at the first start. Kafka Streams uses it for static group membership, so
 * the same process restarted on the same data directory (after a crash too) is recognised at once. Two processes
 * running at the same time must never share one: each needs its own data directory, or its own setting.
 */
public final class InstanceId {

    static final String FILE = "instance-id";
    private static final Pattern VALID = Pattern.compile("[A-Za-z0-9._-]{1,100}");

    private InstanceId() {
    }

    /** @param aegis the {@code aegis} configuration node */
    public static String resolve(Config aegis, Path dataDir) {
        String configured = aegis.get("instance-id").asString().orElse(null);
        if (configured != null) {
            return checked(configured, "aegis.instance-id");
        }
        Path file = dataDir.resolve(FILE);
        try {
            Files.createDirectories(dataDir);
            try {
                Files.writeString(Files.createFile(file), "aegis-" + UUID.randomUUID() + "\n");
            } catch (FileAlreadyExistsException e) {
                // kept from an earlier start: that is the point
            }
            return checked(Files.readString(file).trim(), file.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or create the instance id in " + file, e);
        }
    }

    private static String checked(String id, String where) {
        if (!VALID.matcher(id).matches()) {
            throw new IllegalArgumentException(where + " must be 1 to 100 letters, digits, '.', '_' or '-' (got '"
                    + id + "')");
        }
        return id;
    }
}
