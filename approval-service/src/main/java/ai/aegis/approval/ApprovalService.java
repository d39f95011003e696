package ai.aegis.approval;

import ai.aegis.schemas.Ids;
import ai.aegis.schemas.approval.ApprovalCommand;
import ai.aegis.schemas.approval.ApprovalReply;
import ai.aegis.schemas.approval.ApprovalRequest;
import ai.aegis.schemas.json.Json;
import ai.aegis.schemas.topic.TopicCatalog;
import ai.aegis.schemas.topic.TopicSpec;
import ai.aegis.topology.reply.ReplyWaiter;
import ai.aegis.topology.serde.WireReaders;
import ai.aegis.topology.admin.TopicInstaller;
import ai.aegis.topology.deadletter.DeadLetters;
import ai.aegis.topology.deadletter.StreamsDeadLetters;
import ai.aegis.topology.health.HealthCheck;
import ai.aegis.topology.health.RestartBudget;
import ai.aegis.topology.kafka.DurablePublisher;
import ai.aegis.topology.kafka.DurablePublisher.UnavailableException;
import ai.aegis.topology.kafka.KafkaSettings;
import ai.aegis.topology.kafka.StreamsSupervisor;
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

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
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

    /** The owner topology in its dead letters and metrics. */
    public static final String CONSUMER = "approval-service";
    /** The tails: this node's view of open requests, and the replies to this node. */
    public static final String VIEW_TAIL = "approvals-view";
    public static final String REPLY_TAIL = "approval-replies";

    private final ApprovalConfig config;
    private final TopicCatalog topics;
    private final KafkaStreams streams;
    private final Admin admin;
    private final DurablePublisher publisher;
    private final PendingApprovals pending;
    private final ReplyWaiter<ApprovalReply> replies;
    private final TopicTail viewTail;
    private final TopicTail replyTail;
    private final List<TopicPartition> viewPartitions;
    private final StreamsSupervisor supervisor;
    private final List<DeadLetters> tailLetters;
    private final StreamsDeadLetters streamsLetters;

    /** What {@link #start} built, handed to the constructor in one piece. */
    private record Parts(ApprovalConfig config, TopicCatalog topics, KafkaStreams streams, Admin admin,
                         DurablePublisher publisher, PendingApprovals pending, ReplyWaiter<ApprovalReply> replies, TopicTail viewTail,
                         TopicTail replyTail, List<TopicPartition> viewPartitions, StreamsSupervisor supervisor,
                         List<DeadLetters> tailLetters, StreamsDeadLetters streamsLetters) {
    }

    private ApprovalService(Parts p) {
        this.config = p.config();
        this.topics = p.topics();
        this.streams = p.streams();
        this.admin = p.admin();
        this.publisher = p.publisher();
        this.pending = p.pending();
        this.replies = p.replies();
        this.viewTail = p.viewTail();
        this.replyTail = p.replyTail();
        this.viewPartitions = p.viewPartitions();
        this.supervisor = p.supervisor();
        this.tailLetters = p.tailLetters();
        this.streamsLetters = p.streamsLetters();
    }

    /** The four approval topics and the dead letters, created by {@link #start} when missing. */
    public static List<TopicSpec> topics(TopicCatalog catalog) {
        return List.of(catalog.approvalRequests(), catalog.approvalCommands(), catalog.approvalDecisions(),
                catalog.approvalReplies(), catalog.deadLetters());
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

            String source = DurablePublisher.sourceOf("approval-service");
            publisher = new DurablePublisher(kafka, source);
            String deadLetterTopic = topics.deadLetters().name();
            DeadLetters viewLetters = new DeadLetters(publisher, deadLetterTopic,
                    TopicTail.consumerName(VIEW_TAIL));
            DeadLetters replyLetters = new DeadLetters(publisher, deadLetterTopic,
                    TopicTail.consumerName(REPLY_TAIL));
            PendingApprovals pending = new PendingApprovals(topics.approvalRequests().name(),
                    topics.approvalDecisions().name(), config.decidedRetention(), Clock.systemUTC());
            viewTail = new TopicTail(VIEW_TAIL, kafka, List.of(topics.approvalRequests().name(),
                    topics.approvalDecisions().name()), pending::onRecord, viewLetters).start();
            ReplyWaiter<ApprovalReply> replies = new ReplyWaiter<>(config.nodeId(), WireReaders.APPROVAL_REPLY,
                    ApprovalReply::commandId);
            replyTail = new TopicTail(REPLY_TAIL, kafka, List.of(topics.approvalReplies().name()),
                    replies::onRecord, replyLetters).start();

            StreamsDeadLetters streamsLetters = new StreamsDeadLetters(deadLetterTopic, CONSUMER, source);
            streams = new KafkaStreams(ApprovalTopology.build(topics, source,
                    config.punctuationInterval(), config.decidedRetention()),
                    streamsProperties(applicationId(topics), kafka, clientBase, dataDir, streamsLetters));
            StreamsSupervisor supervisor = new StreamsSupervisor("approval topology", streams,
                    RestartBudget.defaults(), streamsLetters);
            streams.start();
            return new ApprovalService(new Parts(config, topics, streams, admin, publisher, pending, replies,
                    viewTail, replyTail, viewPartitions, supervisor, List.of(viewLetters, replyLetters),
                    streamsLetters));
        } catch (RuntimeException e) {
            closeQuietly(streams, viewTail, replyTail, publisher, admin);
            throw e;
        }
    }

    static Properties streamsProperties(String applicationId, KafkaSettings kafka, String clientId, Path dataDir,
                                        StreamsDeadLetters deadLetters) {
        return kafka.withClientId(clientId).streams(applicationId, "streams", dataDir.resolve("streams"),
                deadLetters);
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

    /**
     * Running or rebalancing (a rebalance is routine), not failed or stopped, and both tails reading: the
     * requests are owned and this node's reads and replies are served.
     */
    public boolean healthy() {
        return supervisor.healthy() && viewTail.health().isUp() && replyTail.health().isUp();
    }

    /**
     * The parts of this service as readiness reports them: the owner topology ({@code approval_service}) and its
     * two tails ({@code tail.}{@value #VIEW_TAIL}, {@code tail.}{@value #REPLY_TAIL}), each with its state.
     */
    public Map<String, HealthCheck> health() {
        Map<String, HealthCheck> parts = new LinkedHashMap<>();
        parts.put("approval_service", supervisor);
        parts.put(TopicTail.healthName(VIEW_TAIL), viewTail);
        parts.put(TopicTail.healthName(REPLY_TAIL), replyTail);
        return parts;
    }

    /** Dead letters written since the start, by consumer: the owner topology and the two tails. */
    public Map<String, Long> deadLetters() {
        Map<String, Long> counts = new LinkedHashMap<>();
        counts.put(streamsLetters.consumer(), streamsLetters.written());
        tailLetters.forEach(l -> counts.put(l.consumer(), l.written()));
        return counts;
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
        closeQuietly(null, viewTail, replyTail, publisher, admin); // the tails write dead letters through it
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
