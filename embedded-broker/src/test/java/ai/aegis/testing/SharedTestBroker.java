package ai.aegis.testing;

import ai.aegis.broker.EmbeddedKafkaBroker;

import java.nio.file.Path;

/**
 * One embedded broker per JVM for the tests of every module: starting a broker costs seconds, so tests share it
 * and isolate themselves with unique topic prefixes and group ids instead. It lives in the test-support module,
 * which modules take as a test-scoped dependency and no production jar contains.
 */
public final class SharedTestBroker {

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
        broker = EmbeddedKafkaBroker.start(dataDir);
        return broker;
    }

    private static synchronized void shutdown() {
        if (broker != null) {
            broker.stop();
        }
        TestDirectories.deleteRecursively(dataDir);
    }
}
