package ai.aegis.broker;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import java.util.Properties;

/**
 * What must stay the same between two starts of one data directory: the cluster id and controller directory id
 * written by the storage format, and the ports (clients keep their bootstrap address across a restart).
 *
 * @param clusterId             the KRaft cluster id the storage was formatted with
 * @param controllerDirectoryId the directory id of the metadata log, part of the dynamic voter set
 * @param brokerPort            the PLAINTEXT listener port
 * @param controllerPort        the CONTROLLER listener port, recorded in the voter set at format time
 */
record BrokerState(String clusterId, String controllerDirectoryId, int brokerPort, int controllerPort) {

    static final String FILE_NAME = "embedded-broker.properties";

    BrokerState withBrokerPort(int port) {
        return new BrokerState(clusterId, controllerDirectoryId, port, controllerPort);
    }

    static Optional<BrokerState> read(Path dataDir) throws IOException {
        Path file = dataDir.resolve(FILE_NAME);
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        Properties props = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            props.load(in);
        }
        try {
            return Optional.of(new BrokerState(
                    required(props, "cluster.id", file),
                    required(props, "controller.directory.id", file),
                    Integer.parseInt(required(props, "broker.port", file)),
                    Integer.parseInt(required(props, "controller.port", file))));
        } catch (NumberFormatException e) {
            throw new IOException("corrupt embedded broker state file " + file + ": " + e.getMessage(), e);
        }
    }

    /** Writes through a temporary file and a rename so that a crash never leaves a half-written state file. */
    void write(Path dataDir) throws IOException {
        Properties props = new Properties();
        props.setProperty("cluster.id", clusterId);
        props.setProperty("controller.directory.id", controllerDirectoryId);
        props.setProperty("broker.port", Integer.toString(brokerPort));
        props.setProperty("controller.port", Integer.toString(controllerPort));
        Path tmp = dataDir.resolve(FILE_NAME + ".tmp");
        try (OutputStream out = Files.newOutputStream(tmp)) {
            props.store(out, "Aegis embedded Kafka broker: identity and ports reused on restart");
        }
        Files.move(tmp, dataDir.resolve(FILE_NAME), StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);
    }

    private static String required(Properties props, String key, Path file) throws IOException {
        String value = props.getProperty(key);
        if (value == null || value.isBlank()) {
            throw new IOException("embedded broker state file " + file + " lacks " + key);
        }
        return value.trim();
    }
}
