package ai.aegis.testing;

import java.nio.file.Path;
import java.time.Duration;

/**
 * One three-broker {@link BrokerCluster} per test JVM for the fault suite: starting four JVMs costs many seconds,
 * so the cases share it and isolate themselves with unique topic prefixes and group ids, as with
 * {@link SharedTestBroker}. Each case may break the cluster as it likes: {@link #get()} hands the next one a whole
 * cluster again.
 */
public final class SharedTestCluster {

    public static final int BROKERS = 3;
    /** How long a case may have left the cluster needing to recover (a restarted broker catching up). */
    private static final Duration HEAL_TIMEOUT = Duration.ofSeconds(180);

    private static BrokerCluster cluster;
    private static Path dataDir;

    private SharedTestCluster() {
    }

    /**
     * The shared cluster with every broker running and every replica in sync: started on first use in a temporary
     * directory (removed by a shutdown hook after the processes are killed), healed on every later call.
     */
    public static synchronized BrokerCluster get() {
        if (cluster == null) {
            dataDir = TestDirectories.create("aegis-test-cluster-");
            Runtime.getRuntime().addShutdownHook(new Thread(SharedTestCluster::shutdown, "test-cluster-shutdown"));
            cluster = BrokerCluster.start(dataDir, BROKERS);
        } else {
            cluster.heal(HEAL_TIMEOUT);
        }
        return cluster;
    }

    private static synchronized void shutdown() {
        if (cluster != null) {
            cluster.close();
        }
        TestDirectories.deleteRecursively(dataDir);
    }
}
