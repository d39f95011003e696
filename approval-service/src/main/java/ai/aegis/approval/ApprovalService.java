package ai.aegis.approval;

import ai.aegis.schemas.Ids;
import ai.aegis.schemas.approval.ApprovalCommand;
import ai.aegis.schemas.approval.ApprovalReply;
import ai.aegis.schemas.approval.ApprovalRequest;
import ai.aegis.schemas.json.Json;
import ai.aegis.schemas.topic.TopicCatalog;
import ai.aegis.schemas.topic.TopicSpec;
import ai.aegis.topology.admin.TopicInstaller;
import ai.aegis.topology.kafka.DurablePublisher;
import ai.aegis.topology.kafka.DurablePublisher.UnavailableException;
import ai.aegis.topology.kafka.KafkaSettings;
import ai.aegis.topology.tail.TopicTail;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One node of the approval service: the owner topology ({@link ApprovalTopology}, application id
 * {@code <prefix>-approval-service}, exactly-once v2), this node's view of the open requests for reads
 * ({@link PendingApprovals}), and the path of an approve/reject call: the command is written durably, keyed by
 * approval id, so that the owner of the request decides it wherever the HTTP call landed; the owner's reply comes
 * back on the replies topic keyed by this node's id ({@link ReplyWaiter}).
 *
 * <p>Several nodes share the work by sharing the application id: Kafka Streams gives each the ownership of some
 * partitions, and every node reads every request and decision for its view. Reads first wait (bounded) until the
 * view holds every record committed when the read began, so a request decided through node A is no longer served
 * by node B once A answered: the owner commits the decision in the same transaction as the reply A waited for.
 */
public final class ApprovalService implements Approvals, AutoCloseable {

    private static final System.Logger LOG = System.getLogger(ApprovalService.class.getName());
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(10);

    private final ApprovalConfig config;
    private final TopicCatalog topics;
    private final KafkaStreams streams;
    private final Admin admin;
    private final DurablePublisher publisher;
    private final PendingApprovals pending;
    private final ReplyWaiter replies;
    private final TopicTail viewTail;
    private final TopicTail replyTail;
    private final List<TopicPartition> viewPartitions;

    private ApprovalService(ApprovalConfig config, TopicCatalog topics, KafkaStreams streams, Admin admin,
                            DurablePublisher publisher, PendingApprovals pending, ReplyWaiter replies,
                            TopicTail viewTail, TopicTail replyTail, List<TopicPartition> viewPartitions) {
        this.config = config;
        this.topics = topics;
        this.streams = streams;
        this.admin = admin;
        this.publisher = publisher;
        this.pending = pending;
        this.replies = replies;
        this.viewTail = viewTail;
        this.replyTail = replyTail;
        this.viewPartitions = viewPartitions;
    }

    /** The four approval topics, created by {@link #start} when missing. */
    public static List<TopicSpec> topics(TopicCatalog catalog) {
        return List.of(catalog.approvalRequests(), catalog.approvalCommands(), catalog.approvalDecisions(),
                catalog.approvalReplies());
    }

    /** The Kafka Streams application id: shared by every node of one installation. */
    public static String applicationId(TopicCatalog catalog) {
        return catalog.prefix() + "-approval-service";
    }

    /**
     * Installs the approval topics if missing, then starts the topology (its state under {@code dataDir/streams})
     * and the tails. Returns without waiting for the topology to be assigned its partitions: calls made meanwhile
     * wait for their reply within the reply timeout.
     *
     * @throws ai.aegis.topology.admin.TopicInstallationException when the cluster is unreachable
     */
    public static ApprovalService start(ApprovalConfig config, KafkaSettings settings, Path dataDir) {
        TopicCatalog topics = settings.topics();
        String clientBase = (settings.clientId() == null ? "aegis" : settings.clientId()) + "-approval-"
                + config.nodeId();
        KafkaSettings kafka = settings.withClientId(clientBase);
        Admin admin = Admin.create(kafka.admin());
        KafkaStreams streams = null;
        DurablePublisher publisher = null;
        TopicTail viewTail = null;
        TopicTail replyTail = null;
        try {
            Duration installTimeout = kafka.ackTimeout().multipliedBy(6);
            // the resolved replication factor, for the topology's internal topics too
            kafka = kafka.withReplicationFactor(TopicInstaller.ensure(admin, topics(topics),
                    kafka.replicationFactor(), installTimeout));
            List<TopicPartition> viewPartitions = partitions(admin, installTimeout,
                    topics.approvalRequests().name(), topics.approvalDecisions().name());

            PendingApprovals pending = new PendingApprovals(topics.approvalRequests().name(),
                    topics.approvalDecisions().name(), config.decidedRetention(), Clock.systemUTC());
            viewTail = new TopicTail("approvals-view", kafka, List.of(topics.approvalRequests().name(),
                    topics.approvalDecisions().name()), pending::onRecord).start();
            ReplyWaiter replies = new ReplyWaiter(config.nodeId());
            replyTail = new TopicTail("approval-replies", kafka, List.of(topics.approvalReplies().name()),
                    replies::onRecord).start();
            publisher = new DurablePublisher(kafka, DurablePublisher.sourceOf("approval-service"));

            streams = new KafkaStreams(ApprovalTopology.build(topics, DurablePublisher.sourceOf("approval-service"),
                    config.punctuationInterval(), config.decidedRetention()),
                    streamsProperties(applicationId(topics), kafka, clientBase, dataDir));
            // A failed stream thread is replaced rather than leaving this node's partitions unowned.
            streams.setUncaughtExceptionHandler(e -> {
                LOG.log(System.Logger.Level.ERROR, "approval topology thread failed, replacing it", e);
                return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
            });
            streams.start();
            return new ApprovalService(config, topics, streams, admin, publisher, pending, replies, viewTail,
                    replyTail, viewPartitions);
        } catch (RuntimeException e) {
            closeQuietly(streams, publisher, viewTail, replyTail, admin);
            throw e;
        }
    }

    static Properties streamsProperties(String applicationId, KafkaSettings kafka, String clientId, Path dataDir) {
        return kafka.withClientId(clientId).streams(applicationId, "streams", dataDir.resolve("streams"));
    }

    private static List<TopicPartition> partitions(Admin admin, Duration timeout, String... names) {
        try {
            Map<String, TopicDescription> described = admin.describeTopics(List.of(names)).allTopicNames()
                    .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return described.values().stream().flatMap(d -> d.partitions().stream()
                    .map(p -> new TopicPartition(d.name(), p.partition()))).toList();
        } catch (ExecutionException | TimeoutException e) {
            throw new ai.aegis.topology.admin.TopicInstallationException(
                    "could not describe the approval topics: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ai.aegis.topology.admin.TopicInstallationException("interrupted", e);
        }
    }

    public String nodeId() {
        return config.nodeId();
    }

    public ApprovalConfig config() {
        return config;
    }

    public KafkaStreams.State state() {
        return streams.state();
    }

    /** True once the topology runs with its partitions assigned (not rebalancing). */
    public boolean isRunning() {
        return streams.state() == KafkaStreams.State.RUNNING;
    }

    /** For readiness: running or rebalancing (a rebalance is routine), not failed or stopped. */
    public boolean healthy() {
        KafkaStreams.State state = streams.state();
        return state == KafkaStreams.State.RUNNING || state == KafkaStreams.State.REBALANCING;
    }

    /** Open requests, oldest first, as of every record committed when the call began (bounded wait). */
    @Override
    public List<ApprovalRequest> pending() {
        syncView();
        return pending.list(Instant.now());
    }

    /** The open request with that id; empty when unknown, decided or past its deadline. */
    @Override
    public Optional<ApprovalRequest> pending(String approvalId) {
        syncView();
        return pending.get(approvalId, Instant.now());
    }

    /**
     * Asks the owner to approve; returns its reply ({@code accepted=false} with
     * {@link ApprovalReply#NOT_FOUND_OR_COMPLETED} when unknown or already decided).
     *
     * @throws UnavailableException when Kafka did not take the command, or no reply came within the reply timeout
     *                              (the command may still be decided later: the caller should read before retrying)
     */
    @Override
    public ApprovalReply approve(String approvalId, String feedback, String approvedBy) throws UnavailableException {
        return send(new ApprovalCommand(Ids.newId(), approvalId, ApprovalCommand.APPROVE, feedback, null, approvedBy,
                config.nodeId(), Json.now()), ApprovalCommand.CE_APPROVE_REQUESTED);
    }

    /** Like {@link #approve}; {@code reason} is required (the owner refuses a blank one). */
    @Override
    public ApprovalReply reject(String approvalId, String reason, String rejectedBy) throws UnavailableException {
        return send(new ApprovalCommand(Ids.newId(), approvalId, ApprovalCommand.REJECT, null, reason, rejectedBy,
                config.nodeId(), Json.now()), ApprovalCommand.CE_REJECT_REQUESTED);
    }

    private ApprovalReply send(ApprovalCommand command, String ceType) throws UnavailableException {
        long deadline = System.nanoTime() + config.replyTimeout().toNanos();
        CompletableFuture<ApprovalReply> reply = replies.expect(command.commandId());
        try {
            publisher.publish(topics.approvalCommands().name(), command.approvalId(), Json.writeBytes(command),
                    ceType);
            long left = Math.max(1, deadline - System.nanoTime());
            return reply.get(left, TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new UnavailableException("no answer from the owner of approval " + command.approvalId()
                    + " within " + config.replyTimeout().toMillis() + " ms", e);
        } catch (ExecutionException e) {
            throw new UnavailableException("waiting for the reply failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UnavailableException("interrupted while waiting for the reply", e);
        } finally {
            replies.forget(command.commandId());
        }
    }

    /**
     * Waits until the view has applied every record committed on the requests and decisions topics at this moment
     * (their last stable offsets). Bounded by the read-sync timeout; past it the view answers as it is, since a
     * slightly stale list is better than no answer when Kafka is slow.
     */
    private void syncView() {
        long deadline = System.nanoTime() + config.readSyncTimeout().toNanos();
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        viewPartitions.forEach(tp -> latest.put(tp, OffsetSpec.latest()));
        try {
            ListOffsetsResult result = admin.listOffsets(latest,
                    new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)
                            .timeoutMs((int) config.readSyncTimeout().toMillis()));
            var offsets = result.all().get(config.readSyncTimeout().toMillis(), TimeUnit.MILLISECONDS);
            for (var e : offsets.entrySet()) {
                long end = e.getValue().offset();
                if (end <= 0) {
                    continue;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0 || !viewTail.awaitApplied(e.getKey().topic(), e.getKey().partition(), end - 1,
                        Duration.ofNanos(left))) {
                    LOG.log(System.Logger.Level.WARNING, "approval view not caught up within "
                            + config.readSyncTimeout().toMillis() + " ms; answering from what it holds");
                    return;
                }
            }
        } catch (ExecutionException | TimeoutException e) {
            LOG.log(System.Logger.Level.WARNING, "could not read the approval topics' offsets: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        // Leave the group on close so that the other nodes (or the next start) take the partitions over at once
        // instead of after the session timeout.
        try {
            streams.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
                    .withTimeout(CLOSE_TIMEOUT));
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "closing the approval topology: " + e);
        }
        closeQuietly(null, publisher, viewTail, replyTail, admin);
    }

    private static void closeQuietly(KafkaStreams streams, AutoCloseable... others) {
        if (streams != null) {
            try {
                streams.close(CLOSE_TIMEOUT);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "closing the approval topology: " + e);
            }
        }
        for (AutoCloseable c : others) {
            if (c == null) {
                continue;
            }
            try {
                c.close();
            } catch (Exception e) {
                LOG.log(System.Logger.Level.WARNING, "closing " + c.getClass().getSimpleName() + ": " + e);
            }
        }
    }
}
