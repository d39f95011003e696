package ai.aegis.testing;

import ai.aegis.broker.EmbeddedKafkaBroker;

import java.nio.file.Path;
import java.util.Map;

/**
 * One embedded broker per JVM for the tests of every module: starting a broker costs seconds, so tests share it
 * and isolate themselves with unique topic prefixes and group ids instead. It is test code of the embedded broker,
 * shared with the other modules as a test-scoped test-jar that no production jar contains.
 */
public final class SharedTestBroker {

    /**
     * What the test broker allows beyond a production one: share-group acquisition locks and sessions as short as a
     * second (heartbeats to match), so that tests of failover (a killed or frozen worker, RENEW) set short ones on
     * their own group and need not wait 15 to 45 s. Every group keeps the production defaults unless a test (or
     * the workers' own setting) changes its own.
     */
    public static final Map<String, String> TEST_PROPERTIES = Map.of(
            "group.share.min.record.lock.duration.ms", "1000",
            "group.share.min.session.timeout.ms", "1000",
            "group.share.min.heartbeat.interval.ms", "300");

    private static EmbeddedKafkaBroker broker;
    private static Path dataDir;

    private SharedTestBroker() {
    }

    /**
     * The running shared broker, started on first use in a temporary directory that a shutdown hook removes after
     * stopping the broker. If a test stopped it, it is started again on the same directory (same address, same
     * topics).
     */
    public static synchronized EmbeddedKafkaBroker get() {
        if (broker != null && broker.isRunning()) {
            return broker;
        }
        if (dataDir == null) {
            dataDir = TestDirectories.create("aegis-shared-broker-");
            Runtime.getRuntime().addShutdownHook(new Thread(SharedTestBroker::shutdown, "shared-broker-shutdown"));
        }
        broker = EmbeddedKafkaBroker.start(dataDir, 0, 0, TEST_PROPERTIES);
        return broker;
    }

    private static synchronized void shutdown() {
        if (broker != null) {
            broker.stop();
        }
        TestDirectories.deleteRecursively(dataDir);
    }
}
