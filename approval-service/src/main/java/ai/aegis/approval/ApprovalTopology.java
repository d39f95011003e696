package ai.aegis.approval;

import ai.aegis.schemas.approval.ApprovalCommand;
import ai.aegis.schemas.approval.ApprovalDecision;
import ai.aegis.schemas.approval.ApprovalReply;
import ai.aegis.schemas.approval.ApprovalRequest;
import ai.aegis.schemas.json.Json;
import ai.aegis.schemas.topic.CloudEventHeaders;
import ai.aegis.schemas.topic.TopicCatalog;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The owner of every approval: a Kafka Streams topology (run with {@code exactly_once_v2}) that holds each request
 * and its status in the persistent store {@value #STORE}, decides it on the first valid command, and times it out
 * from a wall-clock punctuation.
 *
 * <p>Requests and commands are both keyed by approval id and co-partitioned, so one stream task sees a request and
 * every command for it, one after the other: when approve and reject race, the first one in the partition wins and
 * the other is refused ({@link ApprovalReply#NOT_FOUND_OR_COMPLETED}). Because the store update, the decision, the
 * reply and the consumed offsets commit in one transaction, a crash never yields a decision without its store update
 * or two decisions for one request.
 *
 * <p>Timers live in a second store, {@value #TIMERS}, keyed by {@code <epoch millis, 19 digits>|<approval id>} so that
 * the punctuation reads only the entries that are due (a range scan up to now) instead of the whole store. A request
 * gets a timer at its deadline; a decided request gets one at {@code decided_at + retention}, when it is purged.
 * Decided entries are kept that long so that late commands are refused as completed rather than treated as unknown
 * (the answer is the same text, but the entry also guards against a replayed request re-opening a decided one).
 */
public final class ApprovalTopology {

    private static final System.Logger LOG = System.getLogger(ApprovalTopology.class.getName());

    /** Approval id -> {@link Entry} as JSON. */
    public static final String STORE = "approvals";
    /** {@code <due millis>|<approval id>} -> approval id. */
    public static final String TIMERS = "approval-timers";

    public static final String PENDING = "pending";
    public static final String APPROVED = ApprovalDecision.APPROVED;
    public static final String REJECTED = ApprovalDecision.REJECTED;
    public static final String TIMED_OUT = ApprovalDecision.TIMED_OUT;

    public static final Duration DEFAULT_PUNCTUATION_INTERVAL = Duration.ofSeconds(1);
    public static final Duration DEFAULT_DECIDED_RETENTION = Duration.ofHours(24);

    static final String MISSING_REASON = "Missing required field 'reason'";

    private static final String REQUESTS_SOURCE = "approval-requests";
    private static final String COMMANDS_SOURCE = "approval-commands";
    private static final String PROCESSOR = "approval-owner";
    private static final String DECISIONS_SINK = "approval-decisions";
    private static final String REPLIES_SINK = "approval-replies";

    /**
     * What the store holds per approval.
     *
     * @param status    {@link #PENDING}, {@link #APPROVED}, {@link #REJECTED} or {@link #TIMED_OUT}
     * @param decidedAt when it left {@link #PENDING}; null while pending
     */
    public record Entry(ApprovalRequest request, String status, Instant decidedAt) {
        public boolean pending() {
            return PENDING.equals(status);
        }
    }

    private ApprovalTopology() {
    }

    /**
     * @param topics              where the approval topics are
     * @param source              CloudEvents {@code ce_source} of what this topology writes
     * @param punctuationInterval how often timeouts and purges are checked (wall-clock time)
     * @param decidedRetention    how long decided entries stay in the store
     */
    public static Topology build(TopicCatalog topics, String source, Duration punctuationInterval,
                                 Duration decidedRetention) {
        Objects.requireNonNull(source, "source");
        if (punctuationInterval.isNegative() || punctuationInterval.isZero()) {
            throw new IllegalArgumentException("punctuation interval must be positive: " + punctuationInterval);
        }
        if (decidedRetention.isNegative()) {
            throw new IllegalArgumentException("decided retention must not be negative: " + decidedRetention);
        }
        String requests = topics.approvalRequests().name();
        Topology topology = new Topology();
        topology.addSource(REQUESTS_SOURCE, new StringDeserializer(), new ByteArrayDeserializer(), requests);
        topology.addSource(COMMANDS_SOURCE, new StringDeserializer(), new ByteArrayDeserializer(),
                topics.approvalCommands().name());
        topology.addProcessor(PROCESSOR,
                () -> new Owner(requests, source, punctuationInterval, decidedRetention),
                REQUESTS_SOURCE, COMMANDS_SOURCE);
        topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(STORE),
                Serdes.String(), Serdes.ByteArray()), PROCESSOR);
        topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(TIMERS),
                Serdes.String(), Serdes.String()), PROCESSOR);
        topology.addSink(DECISIONS_SINK, topics.approvalDecisions().name(), new StringSerializer(),
                new ByteArraySerializer(), PROCESSOR);
        topology.addSink(REPLIES_SINK, topics.approvalReplies().name(), new StringSerializer(),
                new ByteArraySerializer(), PROCESSOR);
        return topology;
    }

    /** The timer key: zero-padded millis first, so that string order is time order (RocksDB orders bytes). */
    static String timerKey(long dueMillis, String approvalId) {
        return String.format("%019d|%s", dueMillis, approvalId);
    }

    /** Millis of the request's deadline; {@link Long#MAX_VALUE} (never) when it lies beyond what a long holds. */
    static long deadlineMillis(ApprovalRequest request) {
        try {
            return Math.max(0, request.deadline().toEpochMilli());
        } catch (ArithmeticException | java.time.DateTimeException e) {
            return Long.MAX_VALUE;
        }
    }

    private static final class Owner implements Processor<String, byte[], String, byte[]> {

        private final String requestsTopic;
        private final String source;
        private final Duration interval;
        private final Duration retention;
        private ProcessorContext<String, byte[]> context;
        private KeyValueStore<String, byte[]> approvals;
        private KeyValueStore<String, String> timers;

        Owner(String requestsTopic, String source, Duration interval, Duration retention) {
            this.requestsTopic = requestsTopic;
            this.source = source;
            this.interval = interval;
            this.retention = retention;
        }

        @Override
        public void init(ProcessorContext<String, byte[]> context) {
            this.context = context;
            this.approvals = context.getStateStore(STORE);
            this.timers = context.getStateStore(TIMERS);
            // Wall-clock, not stream time: a request must time out even when no further record ever arrives.
            context.schedule(interval, PunctuationType.WALL_CLOCK_TIME, this::fireDueTimers);
        }

        @Override
        public void process(Record<String, byte[]> record) {
            if (record.key() == null || record.value() == null) {
                LOG.log(System.Logger.Level.WARNING, "skipping an approval record without key or value");
                return;
            }
            String topic = context.recordMetadata().map(RecordMetadata::topic).orElse("");
            try {
                if (requestsTopic.equals(topic)) {
                    onRequest(record.key(), Json.read(record.value(), ApprovalRequest.class));
                } else {
                    onCommand(record.key(), Json.read(record.value(), ApprovalCommand.class));
                }
            } catch (java.io.UncheckedIOException e) {
                // One unreadable record must not stop the owner of every other approval in the partition.
                LOG.log(System.Logger.Level.WARNING, "skipping unreadable approval record on " + topic + " key "
                        + record.key() + ": " + e.getMessage());
            }
        }

        private void onRequest(String id, ApprovalRequest request) {
            if (request.createdAt() == null || !id.equals(request.id())) {
                LOG.log(System.Logger.Level.WARNING, "skipping approval request " + id
                        + ": created_at missing or id differs from the key");
                return;
            }
            if (approvals.get(id) != null) {
                return; // a replayed request must neither reset a pending one nor re-open a decided one
            }
            put(id, new Entry(request, PENDING, null));
            long deadline = deadlineMillis(request);
            if (deadline != Long.MAX_VALUE) {
                timers.put(timerKey(deadline, id), id);
            }
        }

        private void onCommand(String id, ApprovalCommand command) {
            long now = context.currentSystemTimeMs();
            String decision = command.decision();
            if (!ApprovalCommand.APPROVE.equals(decision) && !ApprovalCommand.REJECT.equals(decision)) {
                reply(id, command, false, null, "Unknown decision '" + decision + "'", now);
                return;
            }
            boolean approve = ApprovalCommand.APPROVE.equals(decision);
            if (!approve && (command.reason() == null || command.reason().isBlank())) {
                // The HTTP layer refuses this first; a command written by another producer still gets the answer.
                reply(id, command, false, null, MISSING_REASON, now);
                return;
            }
            Entry entry = read(id);
            if (entry != null && entry.pending() && deadlineMillis(entry.request()) <= now) {
                // Due but not yet punctuated: the deadline, not the punctuation interval, decides.
                entry = timeOut(id, entry, now);
            }
            if (entry == null || !entry.pending()) {
                reply(id, command, false, null, ApprovalReply.NOT_FOUND_OR_COMPLETED, now);
                return;
            }
            String outcome = approve ? APPROVED : REJECTED;
            ApprovalRequest request = entry.request();
            Instant at = Instant.ofEpochMilli(now);
            decide(id, entry, new ApprovalDecision(id, request.workflowExecutionId(), request.stateName(), outcome,
                    approve ? command.feedback() : null, approve ? null : command.reason(), command.decidedBy(),
                    outcome, at), now);
            reply(id, command, true, outcome, null, now);
        }

        private void fireDueTimers(long now) {
            List<KeyValue<String, String>> due = new ArrayList<>();
            // Collect first, then act: the actions write to the store the iterator reads.
            try (KeyValueIterator<String, String> it = timers.range(null, timerKey(now, "~"))) {
                it.forEachRemaining(due::add);
            }
            for (KeyValue<String, String> timer : due) {
                timers.delete(timer.key);
                String id = timer.value;
                Entry entry = read(id);
                if (entry == null) {
                    continue;
                }
                if (entry.pending()) {
                    if (deadlineMillis(entry.request()) <= now) {
                        timeOut(id, entry, now);
                    }
                } else if (entry.decidedAt() != null && entry.decidedAt().toEpochMilli() + retention.toMillis() <= now) {
                    approvals.delete(id);
                }
            }
        }

        private Entry timeOut(String id, Entry entry, long now) {
            ApprovalRequest request = entry.request();
            return decide(id, entry, new ApprovalDecision(id, request.workflowExecutionId(), request.stateName(),
                    TIMED_OUT, null, null, null, request.defaultResponse(), Instant.ofEpochMilli(now)), now);
        }

        private Entry decide(String id, Entry entry, ApprovalDecision decision, long now) {
            Entry decided = new Entry(entry.request(), decision.outcome(), decision.decidedAt());
            put(id, decided);
            long deadline = deadlineMillis(entry.request());
            if (deadline != Long.MAX_VALUE) {
                timers.delete(timerKey(deadline, id)); // no longer due: only the purge timer remains
            }
            timers.put(timerKey(saturatedAdd(now, retention.toMillis()), id), id);
            emit(DECISIONS_SINK, id, Json.writeBytes(decision), ApprovalDecision.CE_TYPE, now);
            return decided;
        }

        private void reply(String id, ApprovalCommand command, boolean accepted, String status, String error,
                           long now) {
            if (command.replyTo() == null || command.replyTo().isBlank()) {
                return; // nobody to answer: the decision (if any) is on the decisions topic all the same
            }
            ApprovalReply reply = new ApprovalReply(command.commandId(), id, accepted, status, error,
                    Instant.ofEpochMilli(now));
            emit(REPLIES_SINK, command.replyTo(), Json.writeBytes(reply), ApprovalReply.CE_TYPE, now);
        }

        private void emit(String sink, String key, byte[] value, String ceType, long now) {
            context.forward(new Record<>(key, value, now,
                    CloudEventHeaders.of(ceType, source, key, Instant.ofEpochMilli(now))), sink);
        }

        private Entry read(String id) {
            byte[] bytes = approvals.get(id);
            return bytes == null ? null : Json.read(bytes, Entry.class);
        }

        private void put(String id, Entry entry) {
            approvals.put(id, Json.writeBytes(entry));
        }

        private static long saturatedAdd(long a, long b) {
            long r = a + b;
            return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
        }
    }
}
