package ai.aegis.topology.admin;

import ai.aegis.schemas.topic.TopicSpec;
import ai.aegis.topology.kafka.KafkaSettings;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.CreateTopicsOptions;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Creates the topics of the catalogue that do not exist yet. Safe to run at every start of every service and
 * concurrently from several of them: an existing topic is left exactly as it is (a concurrent creator winning the
 * race is fine), and nothing is ever deleted or reconfigured.
 *
 * <p>A topic is created with {@code min.insync.replicas} = {@link KafkaSettings#minInSyncReplicas} of its
 * replication factor (2 on a three-broker cluster), set on the topic itself: the broker's default is 1, with
 * which an {@code acks=all} write is acknowledged by the leader alone once the others fell out of sync, and lost
 * with that one broker.
 */
public final class TopicInstaller {

    private static final System.Logger LOG = System.getLogger(TopicInstaller.class.getName());
    private static final int MAX_DEFAULT_REPLICATION = 3;
    private static final long METADATA_POLL_MS = 50;

    private TopicInstaller() {
    }

    /**
     * Ensures every topic exists, created with replication factor min(3, brokers in the cluster).
     *
     * @return the replication factor used for topics that had to be created
     * @throws TopicInstallationException when the cluster does not answer within {@code timeout} or refuses a topic
     */
    public static short ensure(Admin admin, Collection<TopicSpec> topics, Duration timeout) {
        return ensure(admin, topics, 0, timeout);
    }

    /**
     * Ensures every topic exists, creating the missing ones with their partitions, {@link TopicSpec#configs()} and
     * {@code replicationFactor} (0 = min(3, brokers in the cluster)). Returns once the created topics are visible
     * in the broker's metadata, so that a Kafka Streams application started right after finds its source topics.
     *
     * @return the replication factor resolved ({@code replicationFactor}, or min(3, brokers) for 0), which a Kafka
     *         Streams application of the same installation gives its internal topics
     *         ({@link KafkaSettings#withReplicationFactor})
     * @throws TopicInstallationException when the cluster does not answer within {@code timeout} or refuses a topic
     */
    public static short ensure(Admin admin, Collection<TopicSpec> topics, int replicationFactor, Duration timeout) {
        if (replicationFactor < 0 || replicationFactor > Short.MAX_VALUE) {
            throw new IllegalArgumentException("replication factor must be 0 (default) or positive: "
                    + replicationFactor);
        }
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive: " + timeout);
        }
        Map<String, TopicSpec> wanted = byName(topics);
        long deadline = System.nanoTime() + timeout.toNanos();
        short rf = replicationFactor > 0 ? (short) replicationFactor : (short) Math.clamp(
                await(admin.describeCluster(new DescribeClusterOptions().timeoutMs(remainingMs(deadline))).nodes(),
                        deadline, timeout, "describe the cluster").size(), 1, MAX_DEFAULT_REPLICATION);
        if (wanted.isEmpty()) {
            return rf;
        }

        Set<String> existing = await(admin.listTopics(new ListTopicsOptions().timeoutMs(remainingMs(deadline)))
                .names(), deadline, timeout, "list topics");
        List<NewTopic> missing = new ArrayList<>();
        for (TopicSpec spec : wanted.values()) {
            if (!existing.contains(spec.name())) {
                Map<String, String> configs = new HashMap<>(spec.configs());
                configs.put(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG,
                        Integer.toString(KafkaSettings.minInSyncReplicas(rf)));
                missing.add(new NewTopic(spec.name(), spec.partitions(), rf).configs(configs));
            }
        }
        if (missing.isEmpty()) {
            return rf;
        }

        var created = admin.createTopics(missing, new CreateTopicsOptions().timeoutMs(remainingMs(deadline)));
        for (var entry : created.values().entrySet()) {
            try {
                await(entry.getValue(), deadline, timeout, "create topic " + entry.getKey());
                LOG.log(System.Logger.Level.INFO, "created topic {0} ({1} partitions, replication factor {2}, "
                        + "min.insync.replicas {3})", entry.getKey(), wanted.get(entry.getKey()).partitions(), rf,
                        KafkaSettings.minInSyncReplicas(rf));
            } catch (TopicInstallationException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw e;
                }
                // Another service created it between our listing and our request: exactly what we wanted.
            }
        }
        awaitVisible(admin, missing.stream().map(NewTopic::name).toList(), wanted, deadline, timeout);
        return rf;
    }

    /** The controller answers createTopics before every broker has the new metadata; wait until one does. */
    private static void awaitVisible(Admin admin, List<String> names, Map<String, TopicSpec> wanted, long deadline,
                                     Duration timeout) {
        while (true) {
            try {
                Map<String, TopicDescription> described = admin.describeTopics(names).allTopicNames()
                        .get(remainingMs(deadline), TimeUnit.MILLISECONDS);
                boolean complete = names.stream().allMatch(name -> described.containsKey(name)
                        && described.get(name).partitions().size() >= wanted.get(name).partitions());
                if (complete) {
                    return;
                }
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
                    throw failure("describe the created topics", timeout, e.getCause());
                }
            } catch (TimeoutException e) {
                throw failure("see the created topics in the cluster metadata", timeout, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new TopicInstallationException("interrupted while installing topics", e);
            }
            if (remainingMs(deadline) <= METADATA_POLL_MS) {
                throw failure("see the created topics " + names + " in the cluster metadata", timeout, null);
            }
            try {
                // A metadata update takes milliseconds; polling the broker is the only way to observe it.
                Thread.sleep(METADATA_POLL_MS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new TopicInstallationException("interrupted while installing topics", e);
            }
        }
    }

    private static Map<String, TopicSpec> byName(Collection<TopicSpec> topics) {
        Map<String, TopicSpec> byName = new LinkedHashMap<>();
        for (TopicSpec spec : topics) {
            TopicSpec previous = byName.putIfAbsent(spec.name(), spec);
            if (previous != null && !previous.equals(spec)) {
                throw new IllegalArgumentException("two different specifications for topic " + spec.name());
            }
        }
        return byName;
    }

    private static <T> T await(KafkaFuture<T> future, long deadline, Duration timeout, String what) {
        try {
            return future.get(Math.max(1, remainingMs(deadline)), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw failure(what, timeout, e.getCause());
        } catch (TimeoutException e) {
            throw failure(what, timeout, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TopicInstallationException("interrupted while trying to " + what, e);
        }
    }

    private static TopicInstallationException failure(String what, Duration timeout, Throwable cause) {
        boolean timedOut = cause == null || cause instanceof TimeoutException
                || cause instanceof org.apache.kafka.common.errors.TimeoutException;
        String message = timedOut
                ? "Kafka cluster unreachable: could not " + what + " within " + timeout.toMillis()
                        + " ms (check bootstrap.servers and that the brokers are up)"
                : "could not " + what + ": " + cause.getMessage();
        return new TopicInstallationException(message, cause);
    }

    private static int remainingMs(long deadline) {
        long ms = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        return (int) Math.max(0, Math.min(Integer.MAX_VALUE, ms));
    }
}
