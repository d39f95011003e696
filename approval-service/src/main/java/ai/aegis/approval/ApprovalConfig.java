package ai.aegis.approval;

import io.helidon.config.Config;

import java.time.Duration;
import java.util.Objects;
import java.util.UUID;

/**
 * Settings of the approval service, read from {@code aegis.approvals}. The defaults are written here once:
 * <pre>
 * aegis.approvals:
 *   node-id: (a random UUID per process)   the key of the replies this node waits for
 *   reply-timeout-ms: 10000                how long approve/reject wait for the owner's answer before a 503
 *   punctuation-interval-ms: 1000          how often due timeouts and purges are checked (wall clock)
 *   decided-retention-ms: 86400000         how long decided requests stay in the store (late calls are refused)
 *   read-sync-timeout-ms: 2000             how long a read waits for this node to catch up with the topics
 * </pre>
 *
 * @param nodeId              this process's id; unique among the instances that share the replies topic
 * @param replyTimeout        bound on waiting for the reply to an approve or reject
 * @param punctuationInterval period of the topology's wall-clock punctuation
 * @param decidedRetention    how long decided entries are kept before they are purged
 * @param readSyncTimeout     bound on waiting, before a read, for the node's view to include every committed record
 */
public record ApprovalConfig(String nodeId, Duration replyTimeout, Duration punctuationInterval,
                             Duration decidedRetention, Duration readSyncTimeout) {

    public static final Duration DEFAULT_REPLY_TIMEOUT = Duration.ofSeconds(10);
    public static final Duration DEFAULT_PUNCTUATION_INTERVAL = ApprovalTopology.DEFAULT_PUNCTUATION_INTERVAL;
    public static final Duration DEFAULT_DECIDED_RETENTION = ApprovalTopology.DEFAULT_DECIDED_RETENTION;
    public static final Duration DEFAULT_READ_SYNC_TIMEOUT = Duration.ofSeconds(2);

    public ApprovalConfig {
        Objects.requireNonNull(nodeId, "nodeId");
        if (nodeId.isBlank()) {
            throw new IllegalArgumentException("aegis.approvals.node-id must not be blank");
        }
        positive("reply-timeout-ms", replyTimeout);
        positive("punctuation-interval-ms", punctuationInterval);
        positive("read-sync-timeout-ms", readSyncTimeout);
        if (decidedRetention == null || decidedRetention.isNegative()) {
            throw new IllegalArgumentException("aegis.approvals.decided-retention-ms must not be negative");
        }
    }

    /** Every default, with a fresh node id. */
    public static ApprovalConfig defaults() {
        return new ApprovalConfig(UUID.randomUUID().toString(), DEFAULT_REPLY_TIMEOUT, DEFAULT_PUNCTUATION_INTERVAL,
                DEFAULT_DECIDED_RETENTION, DEFAULT_READ_SYNC_TIMEOUT);
    }

    /** @param approvals the {@code aegis.approvals} node (may be missing: every default applies) */
    public static ApprovalConfig read(Config approvals) {
        ApprovalConfig d = defaults();
        return new ApprovalConfig(
                approvals.get("node-id").asString().orElse(d.nodeId()),
                millis(approvals, "reply-timeout-ms", d.replyTimeout()),
                millis(approvals, "punctuation-interval-ms", d.punctuationInterval()),
                millis(approvals, "decided-retention-ms", d.decidedRetention()),
                millis(approvals, "read-sync-timeout-ms", d.readSyncTimeout()));
    }

    public ApprovalConfig withNodeId(String id) {
        return new ApprovalConfig(id, replyTimeout, punctuationInterval, decidedRetention, readSyncTimeout);
    }

    public ApprovalConfig withReplyTimeout(Duration timeout) {
        return new ApprovalConfig(nodeId, timeout, punctuationInterval, decidedRetention, readSyncTimeout);
    }

    private static Duration millis(Config node, String key, Duration fallback) {
        return node.get(key).asLong().map(Duration::ofMillis).orElse(fallback);
    }

    private static void positive(String key, Duration d) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException("aegis.approvals." + key + " must be positive");
        }
    }
}
