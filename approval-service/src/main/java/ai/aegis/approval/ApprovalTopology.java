package ai.aegis.approval;

import ai.aegis.approval.ApprovalMachine.Entry;
import ai.aegis.approval.ApprovalMachine.Input;
import ai.aegis.schemas.approval.ApprovalDecision;
import ai.aegis.schemas.approval.ApprovalReply;
import ai.aegis.schemas.json.Json;
import ai.aegis.schemas.topic.CloudEventHeaders;
import ai.aegis.schemas.topic.TopicCatalog;
import ai.aegis.topology.serde.WireReaders;
import ai.aegis.topology.timer.Timers;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * The owner of every approval: a Kafka Streams topology (run with {@code exactly_once_v2}) that holds each request
 * and its status in the persistent store {@value #STORE}, decides it on the first valid command, and times it out
 * from a wall-clock punctuation. The rules are {@link ApprovalMachine}'s; this class stores, writes and schedules
 * what it answers.
 *
 * <p>Requests and commands are both keyed by approval id and co-partitioned, so one stream task sees a request and
 * every command for it, one after the other: when approve and reject race, the first one in the partition wins and
 * the other is refused ({@link ApprovalReply#NOT_FOUND_OR_COMPLETED}). Because the store update, the decision, the
 * reply and the consumed offsets commit in one transaction, a crash never yields a decision without its store update
 * or two decisions for one request.
 *
 * <p>Timers live in a second store, {@value #TIMERS}, as {@link Timers} (keyed by due time, then approval id) so that
 * the punctuation reads only the entries that are due instead of the whole store. A request gets a timer at its
 * deadline; a decided request gets one at {@code decided_at + retention}, when it is purged. Decided entries are kept
 * that long so that late commands are refused as completed rather than treated as unknown (the answer is the same
 * text, but the entry also guards against a replayed request re-opening a decided one).
 *
 * <p>A record on either topic that is not a complete request or command (a tombstone, JSON {@code null}, bytes that
 * are not JSON, another shape, no key) is refused by the sources' strict deserializers ({@link WireReaders}); the
 * exception handlers of the Streams configuration write it to the dead-letter topic in the same transaction, and the
 * task goes on with the next record instead of retrying the same one forever.
 */
public final class ApprovalTopology {

    /** Approval id -> {@link Entry} as JSON. */
    public static final String STORE = "approvals";
    /** {@code <due millis>|<approval id>} -> approval id ({@link Timers}). */
    public static final String TIMERS = "approval-timers";

    public static final Duration DEFAULT_PUNCTUATION_INTERVAL = Duration.ofSeconds(1);
    public static final Duration DEFAULT_DECIDED_RETENTION = Duration.ofHours(24);

    private static final String REQUESTS_SOURCE = "approval-requests";
    private static final String COMMANDS_SOURCE = "approval-commands";
    private static final String PROCESSOR = "approval-owner";
    private static final String DECISIONS_SINK = "approval-decisions";
    private static final String REPLIES_SINK = "approval-replies";

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
        ApprovalMachine machine = new ApprovalMachine(decidedRetention);
        String requests = topics.approvalRequests().name();
        Topology topology = new Topology();
        // Strict deserializers: a tombstone, JSON null, bytes that are not JSON, another shape or a missing key
        // throws in the source, and the Streams configuration's handler dead-letters it (KafkaSettings.streams).
        Deserializer<String> keys = WireReaders.requiredKey().deserializer();
        Deserializer<Input> requestInputs = (topic, bytes) ->
                new ApprovalMachine.Request(WireReaders.APPROVAL_REQUEST.read(bytes));
        Deserializer<Input> commandInputs = (topic, bytes) ->
                new ApprovalMachine.Command(WireReaders.APPROVAL_COMMAND.read(bytes));
        topology.addSource(REQUESTS_SOURCE, keys, requestInputs, requests);
        topology.addSource(COMMANDS_SOURCE, keys, commandInputs, topics.approvalCommands().name());
        topology.addProcessor(PROCESSOR, () -> new Owner(machine, source, punctuationInterval),
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

    /** Reads each input, applies the machine to the approval's entry, and stores and forwards what it answers. */
    private static final class Owner implements Processor<String, Input, String, byte[]> {

        private final ApprovalMachine machine;
        private final String source;
        private final Duration interval;
        private ProcessorContext<String, byte[]> context;
        private KeyValueStore<String, byte[]> approvals;
        private Timers timers;

        Owner(ApprovalMachine machine, String source, Duration interval) {
            this.machine = machine;
            this.source = source;
            this.interval = interval;
        }

        @Override
        public void init(ProcessorContext<String, byte[]> context) {
            this.context = context;
            this.approvals = context.getStateStore(STORE);
            this.timers = new Timers(context.getStateStore(TIMERS));
            // Wall-clock, not stream time: a request must time out even when no further record ever arrives.
            context.schedule(interval, PunctuationType.WALL_CLOCK_TIME, now -> timers.fireDue(now, Integer.MAX_VALUE,
                    id -> apply(id, new ApprovalMachine.TimerDue(), now)));
        }

        /**
         * One request or command, already read strictly by its source. Whatever throws here (the machine, a stored
         * entry that cannot be read) is dead-lettered by the processing exception handler, and the owner goes on:
         * the store and the outputs are only touched after the machine has answered.
         */
        @Override
        public void process(Record<String, Input> record) {
            apply(record.key(), record.value(), context.currentSystemTimeMs());
        }

        private void apply(String id, Input input, long now) {
            byte[] stored = approvals.get(id);
            Entry current = stored == null ? null : Json.read(stored, Entry.class);
            ApprovalMachine.Result result = machine.apply(id, current, input, Instant.ofEpochMilli(now));
            if (result.entry() == null && current != null) {
                approvals.delete(id);
            } else if (result.entry() != current) {
                approvals.put(id, Json.writeBytes(result.entry()));
            }
            for (ApprovalMachine.Effect effect : result.effects()) {
                switch (effect) {
                    case ApprovalMachine.SetTimer t -> timers.set(t.dueMillis(), id);
                    case ApprovalMachine.DeleteTimer t -> timers.delete(t.dueMillis(), id);
                    case ApprovalMachine.Decide d -> emit(DECISIONS_SINK, id, Json.writeBytes(d.decision()),
                            ApprovalDecision.CE_TYPE, now);
                    case ApprovalMachine.Reply r -> emit(REPLIES_SINK, r.to(), Json.writeBytes(r.reply()),
                            ApprovalReply.CE_TYPE, now);
                }
            }
        }

        private void emit(String sink, String key, byte[] value, String ceType, long now) {
            context.forward(new Record<>(key, value, now,
                    CloudEventHeaders.of(ceType, source, key, Instant.ofEpochMilli(now))), sink);
        }
    }
}
