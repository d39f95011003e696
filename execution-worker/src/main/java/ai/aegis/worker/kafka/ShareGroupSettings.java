package ai.aegis.worker.kafka;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.common.GroupType;
import org.apache.kafka.common.config.ConfigResource;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

/**
 * The workers' share group is configured by the workers themselves, at start: where a new group starts reading
 * (the earliest request, or requests written before the first worker ran would never run), that it reads only
 * committed records (the workflow engine writes requests in transactions), its lock duration (how long a silent
 * worker holds an execution), its delivery limit, and that renewal is allowed. On a cluster where the workers may
 * not alter group configs, an operator sets them; the start fails, naming what is missing, unless they are already
 * right.
 */
final class ShareGroupSettings {

    private static final System.Logger LOG = System.getLogger(ShareGroupSettings.class.getName());

    private ShareGroupSettings() {
    }

    /**
     * The group configs a workers' share group needs.
     *
     * @param failoverTimeout both the acquisition lock (how long a silent worker holds a request) and the session
     *                        timeout (how long it holds its partitions: a partition that only the silent worker was
     *                        assigned is fetched by nobody else until then, lock or no lock)
     */
    static Map<String, String> of(Duration failoverTimeout, int maxAttempts) {
        long ms = failoverTimeout.toMillis();
        Map<String, String> m = new LinkedHashMap<>();
        m.put("share.auto.offset.reset", "earliest");
        m.put("share.isolation.level", "read_committed");
        m.put("share.record.lock.duration.ms", Long.toString(ms));
        m.put("share.session.timeout.ms", Long.toString(ms));
        // Kafka's 5 s unless that leaves fewer than three heartbeats per session
        m.put("share.heartbeat.interval.ms", Long.toString(Math.min(5_000, Math.max(1, ms / 3))));
        // one delivery more than runs: the delivery after the last run is the one that ends the execution as failed
        m.put("share.delivery.count.limit", Integer.toString(maxAttempts + 1));
        m.put("share.renew.acknowledge.enable", "true");
        return m;
    }

    /**
     * Makes sure group {@code groupId} is (or will be) a share group with {@code settings}.
     *
     * @throws IllegalStateException when the id belongs to a group of another kind, or the settings are not in
     *                               place and cannot be set
     */
    static void ensure(Admin admin, String groupId, Map<String, String> settings, Duration timeout) {
        try {
            Optional<GroupListing> existing = admin.listGroups().all().get(timeout.toMillis(), TimeUnit.MILLISECONDS)
                    .stream().filter(g -> g.groupId().equals(groupId)).findFirst();
            Optional<GroupType> type = existing.flatMap(GroupListing::type);
            if (type.isPresent() && type.get() != GroupType.SHARE) {
                throw new IllegalStateException("aegis.worker.group-id '" + groupId + "' is a " + type.get()
                        + " group (the workers of an older version consumed as a consumer group): share-group workers"
                        + " need a group id of their own; set aegis.worker.group-id to an unused name, or delete the"
                        + " old group once its workers are gone (see docs/operations.md)");
            }
            ConfigResource group = new ConfigResource(ConfigResource.Type.GROUP, groupId);
            try {
                admin.incrementalAlterConfigs(Map.of(group, settings.entrySet().stream()
                        .map(e -> new AlterConfigOp(new ConfigEntry(e.getKey(), e.getValue()),
                                AlterConfigOp.OpType.SET))
                        .toList())).all().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                awaitVisible(admin, group, settings, timeout);
            } catch (ExecutionException e) {
                Map<String, String> wrong = differences(admin, group, settings, timeout);
                if (!wrong.isEmpty()) {
                    throw new IllegalStateException("the share group '" + groupId + "' needs the group configs "
                            + wrong + " and this worker cannot set them (" + e.getCause().getMessage() + "); set them "
                            + "with kafka-configs.sh --alter --entity-type groups --entity-name " + groupId
                            + " --add-config " + wrong.entrySet().stream().map(x -> x.getKey() + "=" + x.getValue())
                            .collect(Collectors.joining(",")), e.getCause());
                }
                LOG.log(System.Logger.Level.INFO, "share group " + groupId + " already has the configs it needs ("
                        + "this worker may not alter them: " + e.getCause().getMessage() + ")");
            }
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot configure the workers' share group '" + groupId + "': " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while configuring the share group '" + groupId + "'", e);
        }
    }

    /**
     * Waits until the brokers report the new values: a group config reaches them through the cluster's metadata, a
     * moment after the change was acknowledged, and a consumer that joined before would start the group at the
     * latest request (Kafka's default), skipping the ones already waiting.
     */
    private static void awaitVisible(Admin admin, ConfigResource group, Map<String, String> settings,
                                     Duration timeout)
            throws ExecutionException, TimeoutException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Map<String, String> wrong = differences(admin, group, settings, timeout);
        while (!wrong.isEmpty()) {
            if (System.nanoTime() - deadline >= 0) {
                throw new IllegalStateException("the share group '" + group.name() + "' was configured, but the "
                        + "brokers still report other values for " + wrong.keySet() + " after "
                        + timeout.toMillis() + " ms");
            }
            Thread.sleep(100); // polling the cluster's metadata, which offers no notification
            wrong = differences(admin, group, settings, timeout);
        }
    }

    /** The settings whose current value differs from the wanted one, with the wanted value. */
    private static Map<String, String> differences(Admin admin, ConfigResource group, Map<String, String> settings,
                                                   Duration timeout)
            throws ExecutionException, TimeoutException, InterruptedException {
        Config current = admin.describeConfigs(List.of(group)).all().get(timeout.toMillis(), TimeUnit.MILLISECONDS)
                .get(group);
        Map<String, String> wrong = new LinkedHashMap<>();
        settings.forEach((key, value) -> {
            ConfigEntry entry = current == null ? null : current.get(key);
            if (entry == null || !value.equals(entry.value())) {
                wrong.put(key, value);
            }
        });
        return wrong;
    }
}
