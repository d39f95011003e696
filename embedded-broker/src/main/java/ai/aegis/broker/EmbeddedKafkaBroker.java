package ai.aegis.broker;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.raft.DynamicVoters;
import org.apache.kafka.server.common.MetadataVersion;
import org.apache.kafka.server.common.ShareVersion;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A single-node KRaft Kafka broker (combined broker and controller) running inside this JVM, built from Kafka's
 * production classes. It serves the embedded mode and the tests of every module; it is not a test double: clients
 * talk the real protocol to a real log on disk.
 *
 * <p>Everything lives under one data directory, so a broker stopped and started again on the same directory keeps
 * its cluster id, its ports (clients keep their bootstrap address), its topics and its records.
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {

    /** How long {@link #start} waits for the broker to answer an Admin request. */
    public static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(60);

    static final String LOG_DIR_NAME = "kafka-logs";
    private static final int NODE_ID = 1;
    private static final String HOST = "127.0.0.1";
    private static final String CONTROLLER_LISTENER = "CONTROLLER";

    /*
     * java.util.logging keeps only weak references to loggers: a level set on a logger nobody else holds yet is lost
     * when the logger is collected. Holding them here makes WARNING stick for the life of the JVM.
     */
    private static final List<Logger> QUIETED_LOGGERS = quietKafkaLoggers();

    private final Path dataDir;
    private final int brokerPort;
    private final KafkaRaftServer server;
    private boolean running;

    private EmbeddedKafkaBroker(Path dataDir, int brokerPort, KafkaRaftServer server) {
        this.dataDir = dataDir;
        this.brokerPort = brokerPort;
        this.server = server;
        this.running = true;
    }

    /**
     * Sets Kafka's own loggers in this JVM to WARNING, unless the application configured them (loading this class
     * does it): for code that runs Kafka's tools in-process, such as the tests' cluster formatting its storage.
     */
    public static void quietKafkaLogging() {
        // QUIETED_LOGGERS, initialised with the class, holds the levels; calling this is what loads the class
    }

    /** Starts a broker on {@code dataDir}, reusing its ports if it was started before, free ports otherwise. */
    public static EmbeddedKafkaBroker start(Path dataDir) {
        return start(dataDir, 0, 0);
    }

    /**
     * Starts a broker on {@code dataDir}.
     *
     * @param brokerPort     client port; 0 reuses the port recorded in {@code dataDir}, or picks a free one
     * @param controllerPort controller port; 0 reuses the recorded one, or picks a free one. It cannot change once
     *                       the directory is formatted, because the dynamic voter set recorded it.
     * @throws IllegalStateException when the broker cannot start or does not accept clients within
     *                               {@link #STARTUP_TIMEOUT}
     */
    public static EmbeddedKafkaBroker start(Path dataDir, int brokerPort, int controllerPort) {
        return start(dataDir, brokerPort, controllerPort, Map.of());
    }

    /**
     * Starts a broker on {@code dataDir} with some broker properties of its own, applied over this class's settings
     * (the test broker allows short share-group lock durations, which a production broker refuses).
     */
    public static EmbeddedKafkaBroker start(Path dataDir, int brokerPort, int controllerPort,
                                            Map<String, String> brokerProperties) {
        Objects.requireNonNull(dataDir, "dataDir");
        Objects.requireNonNull(brokerProperties, "brokerProperties");
        checkPort(brokerPort, "brokerPort");
        checkPort(controllerPort, "controllerPort");
        Path dir = dataDir.toAbsolutePath();
        try {
            Files.createDirectories(dir);
            BrokerState state = prepareStorage(dir, brokerPort, controllerPort);
            return launch(dir, state, brokerProperties);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare embedded Kafka data directory " + dir, e);
        }
    }

    /** The address clients bootstrap from, {@code 127.0.0.1:<port>}. */
    public String bootstrapServers() {
        return HOST + ":" + brokerPort;
    }

    public Path dataDir() {
        return dataDir;
    }

    public synchronized boolean isRunning() {
        return running;
    }

    /** Shuts the broker down gracefully and waits for it; calling it again does nothing. */
    public synchronized void stop() {
        if (!running) {
            return;
        }
        running = false;
        server.shutdown();
        server.awaitShutdown();
    }

    @Override
    public void close() {
        stop();
    }

    @Override
    public String toString() {
        return "EmbeddedKafkaBroker[" + bootstrapServers() + ", " + dataDir + (isRunning() ? "" : ", stopped") + "]";
    }

    private static BrokerState prepareStorage(Path dir, int brokerPort, int controllerPort) throws IOException {
        var recorded = BrokerState.read(dir);
        BrokerState state;
        if (recorded.isPresent()) {
            state = recorded.get();
            if (controllerPort != 0 && controllerPort != state.controllerPort()) {
                throw new IllegalArgumentException("controller port " + controllerPort + " differs from "
                        + state.controllerPort() + " recorded in " + dir
                        + ": the voter set stores it, start with 0 or " + state.controllerPort());
            }
            if (brokerPort != 0 && brokerPort != state.brokerPort()) {
                state = state.withBrokerPort(brokerPort);
            }
        } else {
            int[] ports = choosePorts(brokerPort, controllerPort);
            state = new BrokerState(Uuid.randomUuid().toString(), Uuid.randomUuid().toString(), ports[0], ports[1]);
        }
        // The state file is written before formatting so that ids and ports are settled first; formatting is
        // keyed on meta.properties, so a crash between the two steps is repaired by the next start.
        state.write(dir);
        Path logDir = dir.resolve(LOG_DIR_NAME);
        if (!Files.exists(logDir.resolve("meta.properties"))) {
            format(logDir, state);
        }
        return state;
    }

    private static void format(Path logDir, BrokerState state) throws IOException {
        Files.createDirectories(logDir);
        String voters = NODE_ID + "@" + HOST + ":" + state.controllerPort() + ":" + state.controllerDirectoryId();
        try {
            new Formatter()
                    .setPrintStream(new PrintStream(OutputStream.nullOutputStream()))
                    .setNodeId(NODE_ID)
                    .setClusterId(state.clusterId())
                    .setDirectories(List.of(logDir.toString()))
                    .setMetadataLogDirectory(logDir.toString())
                    .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
                    // Share groups (KIP-932) are what the workers consume execution requests with: said here rather
                    // than left to what the release version happens to imply.
                    .setFeatureLevel(ShareVersion.FEATURE_NAME, ShareVersion.LATEST_PRODUCTION.featureLevel())
                    .setControllerListenerName(CONTROLLER_LISTENER)
                    .setHasDynamicQuorum(true)
                    .setInitialControllers(DynamicVoters.parse(voters))
                    .run();
        } catch (Exception e) {
            throw new IllegalStateException("cannot format Kafka storage in " + logDir + ": " + e.getMessage(), e);
        }
    }

    private static EmbeddedKafkaBroker launch(Path dir, BrokerState state, Map<String, String> overrides) {
        Properties properties = serverProperties(dir.resolve(LOG_DIR_NAME), state);
        properties.putAll(overrides);
        KafkaConfig config = KafkaConfig.fromProps(properties, false);
        KafkaRaftServer server = new KafkaRaftServer(config, Time.SYSTEM);
        EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(dir, state.brokerPort(), server);
        try {
            server.startup();
            broker.awaitClients(STARTUP_TIMEOUT);
            return broker;
        } catch (RuntimeException e) {
            try {
                broker.stop();
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            if (e instanceof IllegalStateException && e.getMessage() != null
                    && e.getMessage().startsWith("embedded Kafka broker")) {
                throw e;
            }
            throw new IllegalStateException("embedded Kafka broker on " + broker.bootstrapServers()
                    + " (controller port " + state.controllerPort() + ", data " + dir + ") failed to start: "
                    + e.getMessage(), e);
        }
    }

    /** KafkaRaftServer.startup returns once the broker is unfenced; an Admin round trip proves clients get in. */
    private void awaitClients(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Map<String, Object> adminConfig = Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
        Exception last = null;
        try (Admin admin = Admin.create(adminConfig)) {
            while (true) {
                long remainingMs = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (remainingMs <= 0) {
                    break;
                }
                try {
                    var nodes = admin.describeCluster(new DescribeClusterOptions().timeoutMs((int) remainingMs))
                            .nodes().get(remainingMs, TimeUnit.MILLISECONDS);
                    if (!nodes.isEmpty()) {
                        return;
                    }
                } catch (ExecutionException e) {
                    last = e;
                } catch (TimeoutException e) {
                    last = e;
                    break;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for the embedded Kafka broker", e);
                }
            }
        }
        throw new IllegalStateException("embedded Kafka broker on " + bootstrapServers() + " did not accept clients"
                + " within " + timeout.toSeconds() + " s" + (last == null ? "" : ": " + last.getMessage()), last);
    }

    private static Properties serverProperties(Path logDir, BrokerState state) {
        Properties p = new Properties();
        p.put("process.roles", "broker,controller");
        p.put("node.id", Integer.toString(NODE_ID));
        p.put("listeners", "PLAINTEXT://" + HOST + ":" + state.brokerPort() + ","
                + CONTROLLER_LISTENER + "://" + HOST + ":" + state.controllerPort());
        p.put("advertised.listeners", "PLAINTEXT://" + HOST + ":" + state.brokerPort());
        p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT," + CONTROLLER_LISTENER + ":PLAINTEXT");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("controller.listener.names", CONTROLLER_LISTENER);
        p.put("controller.quorum.bootstrap.servers", HOST + ":" + state.controllerPort());
        p.put("log.dirs", logDir.toString());
        p.put("metadata.log.dir", logDir.toString());

        // One node: every replicated internal topic must fit on it.
        p.put("default.replication.factor", "1");
        p.put("min.insync.replicas", "1");
        p.put("offsets.topic.replication.factor", "1");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        // The share coordinator keeps the workers' share group state (which request is acquired, delivered how often).
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        // Few internal partitions: the first consumer group or transaction creates them, 50 would take seconds.
        p.put("offsets.topic.num.partitions", "5");
        p.put("transaction.state.log.num.partitions", "5");
        p.put("share.coordinator.state.topic.num.partitions", "5");

        // Topics are created on purpose (TopicInstaller), never by a typo in a producer.
        p.put("auto.create.topics.enable", "false");
        p.put("num.partitions", "1");
        p.put("group.initial.rebalance.delay.ms", "0");
        // After a kill -9 the restarted controller refuses the broker's new registration until the session of the
        // dead incarnation expires (9 s by default): controller and broker live and die together here, so a short
        // session costs nothing and the restart does not wait for a broker that cannot be there.
        p.put("broker.session.timeout.ms", "2000");
        p.put("broker.heartbeat.interval.ms", "500");
        p.put("log.retention.hours", "168");
        p.put("log.retention.check.interval.ms", "300000");

        // Modest footprint on a small machine: the cleaner's 128 MiB default buffer and 8 I/O threads are for servers.
        p.put("log.cleaner.dedupe.buffer.size", Integer.toString(16 * 1024 * 1024));
        p.put("num.io.threads", "4");
        p.put("num.network.threads", "2");
        p.put("num.recovery.threads.per.data.dir", "1");
        return p;
    }

    private static int[] choosePorts(int brokerPort, int controllerPort) throws IOException {
        // Both sockets are open at once so the two free ports cannot be the same one.
        try (ServerSocket a = bind(brokerPort == 0); ServerSocket b = bind(controllerPort == 0)) {
            return new int[] {brokerPort == 0 ? a.getLocalPort() : brokerPort,
                    controllerPort == 0 ? b.getLocalPort() : controllerPort};
        }
    }

    private static ServerSocket bind(boolean needed) throws IOException {
        ServerSocket socket = new ServerSocket();
        if (needed) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getByName(HOST), 0));
        }
        return socket;
    }

    private static void checkPort(int port, String name) {
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException(name + " must be 0 (choose) or a TCP port, not " + port);
        }
    }

    private static List<Logger> quietKafkaLoggers() {
        // The roots of Kafka's logger names ("kafka.request.logger" is below "kafka"); children inherit the level.
        List<Logger> loggers = List.of("kafka", "org.apache.kafka", "state.change.logger").stream()
                .map(Logger::getLogger).toList();
        for (Logger logger : loggers) {
            // A level the application configured explicitly (logging.properties) wins over this default.
            if (logger.getLevel() == null) {
                logger.setLevel(Level.WARNING);
            }
        }
        return loggers;
    }
}
