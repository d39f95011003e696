package ai.aegis.topology.stimulus;

import ai.aegis.schemas.json.Json;
import ai.aegis.schemas.stimulus.StimulusKeys;
import ai.aegis.schemas.stimulus.StimulusOutcome;
import ai.aegis.schemas.stimulus.StimulusReply;
import ai.aegis.schemas.stimulus.StimulusRequest;
import ai.aegis.schemas.topic.CloudEventHeaders;
import ai.aegis.schemas.topic.TopicCatalog;
import ai.aegis.topology.serde.MalformedRecordException;
import ai.aegis.topology.serde.WireReaders;
import ai.aegis.topology.stimulus.StimulusDedup.Entry;
import ai.aegis.topology.stimulus.StimulusDedup.Input;
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
 * The deduplication stage of stimuli: a Kafka Streams topology (run with {@code exactly_once_v2},
 * {@code KafkaSettings.streams}) that holds, per deduplication key, the first stimulus of its window in the
 * persistent store {@value #STORE}, forwards the requests that go on and answers the duplicates. The rules are
 * {@link StimulusDedup}'s; this class stores, writes and schedules what it answers.
 *
 * <pre>
 * in:  stimulus.requests (key: dedup key | stimulus id) \  processor "stimulus-dedup", store stimulus-dedup
 *      stimulus.outcomes (key: the same)                /   (key -> first stimulus, first_seen_at, status) and
 *                                                           store stimulus-dedup-timers (due millis|key -> key)
 * out: stimulus.accepted (key: the same), stimulus.replies (key: the waiting node id; duplicates only),
 *      stimulus.outcomes (key: the same; a duplicate outcome per duplicate, for readers; read back and ignored)
 * </pre>
 *
 * <p><b>One owner per key.</b> The ingress keys a request by {@link StimulusKeys#recordKey} and the routing stage
 * keys its outcome the same way; both topics have the catalogue's partition count, so one key is on the same
 * partition number of both, and one stream task sees every delivery and every outcome of a key, one at a time,
 * whichever nodes took the calls. Of concurrent deliveries of one key, the first in the partition goes on, the others
 * meet it in flight and are duplicates. The store update, the forwarded request or the reply, and the offsets commit
 * in one transaction, so a crash neither forwards a delivery without recording it nor records one without forwarding
 * it; a stimulus is never forwarded twice.
 *
 * <p><b>Stream time.</b> Entries are dated, and expire, by stream time (the largest record timestamp the task has
 * read, {@code ProcessorContext.currentStreamTimeMs}): the producers' timestamps, so a backlog after a stop is judged
 * by when the calls came, not when they were read. The expiry timers are {@link Timers} in {@value #TIMERS}
 * (keyed by due time, so that a purge reads only what is due), fired by a STREAM_TIME punctuation every
 * {@code purge-interval} that deletes at most a batch of entries ({@value #DEFAULT_PURGE_BATCH}; a backlog is worked
 * off over the next ones): the store holds about one window of keys. With no records, stream time stands still and
 * nothing is purged, but then nothing is added either. A producer whose clock runs ahead moves a partition's stream
 * time forward for good: its entries expire early, so the ingress nodes' clocks must be synchronised.
 *
 * <p><b>Bad records.</b> A record that is not a complete request or outcome (a tombstone, JSON {@code null}, bytes
 * that are not JSON, another shape, no key, an outcome other than accepted or refused) is refused by the sources'
 * strict deserializers ({@link WireReaders}); one whose key is not the one its content implies (a request not keyed
 * by {@link StimulusKeys#recordKey}, an outcome whose {@code dedup_key} is not its key) is refused by the processor:
 * another task may own its real key, so deduplicating it here would be wrong. The exception handlers of the Streams
 * configuration write either to the dead-letter topic in the same transaction, and the task goes on.
 *
 * <p><b>Size of the store.</b> Per key: the entry ({@value #STORE}: key 64 bytes, value 118 bytes of JSON, e.g.
 * {@code {"stimulus_id":"6a1f0c2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b","first_seen_at":"2026-03-05T14:00:00.123Z",
 * "status":"in_flight"}}, measured in {@code StimulusDedupTopologyTest}) and its timer ({@value #TIMERS}: key
 * {@code <19 digits>|<key>} 84 bytes, value the key, 64 bytes): 330 bytes of keys and values, before RocksDB's
 * per-entry overhead and its compression; the two changelog topics hold about as much again. A window of 24 h holds
 * 86.4 million keys and about 28.5 GB at 1,000 new keys a second, 864 million keys and about 285 GB at 10,000 a
 * second, spread over the partitions (a sixth each with the default 6) and the instances that own them. Stimuli
 * without idempotency key cost nothing. A binary entry (the 32 hash bytes as key, 16 id bytes, 8 millis, a status
 * byte) and a timer that holds no value would cut this to about 140 bytes a key.
 */
public final class StimulusDedupTopology {

    /** Deduplication key -> {@link Entry} as JSON. */
    public static final String STORE = "stimulus-dedup";
    /** {@code <due millis>|<key>} -> key ({@link Timers}): each entry's expiry. */
    public static final String TIMERS = "stimulus-dedup-timers";
    /** The dead letters' {@code consumer}, and the suffix of the application id. */
    public static final String CONSUMER = "stimulus-dedup";
    /** Most entries a punctuation purges, so that its transaction stays short. */
    public static final int DEFAULT_PURGE_BATCH = 10_000;

    private static final String REQUESTS_SOURCE = "stimulus-requests";
    private static final String OUTCOMES_SOURCE = "stimulus-outcomes";
    private static final String OUTCOMES_SINK = "stimulus-duplicates";
    private static final String PROCESSOR = "stimulus-dedup";
    private static final String ACCEPTED_SINK = "stimulus-accepted";
    private static final String REPLIES_SINK = "stimulus-replies";

    private StimulusDedupTopology() {
    }

    /** The Kafka Streams application id: shared by every instance of one installation. */
    public static String applicationId(TopicCatalog catalog) {
        return catalog.prefix() + "-" + CONSUMER;
    }

    /** With the rule and purge interval of {@code config}. */
    public static Topology build(TopicCatalog topics, String ceSource, StimulusConfig config) {
        return build(topics, ceSource, config.dedup(), config.purgeInterval(), DEFAULT_PURGE_BATCH);
    }

    /**
     * @param topics        where the stimulus topics are
     * @param ceSource      CloudEvents {@code ce_source} of what this topology writes
     * @param dedup         the rule (window, in-flight timeout, the clock of {@code replied_at})
     * @param purgeInterval how often, in stream time, expired entries are purged
     */
    public static Topology build(TopicCatalog topics, String ceSource, StimulusDedup dedup, Duration purgeInterval) {
        return build(topics, ceSource, dedup, purgeInterval, DEFAULT_PURGE_BATCH);
    }

    /** @param purgeBatch most entries one punctuation purges (tests make it small) */
    static Topology build(TopicCatalog topics, String ceSource, StimulusDedup dedup, Duration purgeInterval,
                          int purgeBatch) {
        Objects.requireNonNull(ceSource, "ceSource");
        Objects.requireNonNull(dedup, "dedup");
        if (purgeInterval.isNegative() || purgeInterval.isZero()) {
            throw new IllegalArgumentException("purge interval must be positive: " + purgeInterval);
        }
        if (purgeBatch < 1) {
            throw new IllegalArgumentException("purge batch must be positive: " + purgeBatch);
        }
        Topology topology = new Topology();
        // Strict deserializers: a tombstone, JSON null, bytes that are not JSON, another shape or a missing key
        // throws in the source, and the Streams configuration's handler dead-letters it (KafkaSettings.streams).
        Deserializer<String> keys = WireReaders.requiredKey().deserializer();
        Deserializer<Input> requests = (topic, bytes) ->
                new StimulusDedup.Request(WireReaders.STIMULUS_REQUEST.read(bytes));
        Deserializer<Input> outcomes = (topic, bytes) ->
                new StimulusDedup.Outcome(WireReaders.STIMULUS_OUTCOME.read(bytes));
        topology.addSource(REQUESTS_SOURCE, keys, requests, topics.stimulusRequests().name());
        topology.addSource(OUTCOMES_SOURCE, keys, outcomes, topics.stimulusOutcomes().name());
        topology.addProcessor(PROCESSOR, () -> new Owner(dedup, ceSource, purgeInterval, purgeBatch),
                REQUESTS_SOURCE, OUTCOMES_SOURCE);
        topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(STORE),
                Serdes.String(), Serdes.ByteArray()), PROCESSOR);
        topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(TIMERS),
                Serdes.String(), Serdes.String()), PROCESSOR);
        topology.addSink(ACCEPTED_SINK, topics.stimulusAccepted().name(), new StringSerializer(),
                new ByteArraySerializer(), PROCESSOR);
        topology.addSink(OUTCOMES_SINK, topics.stimulusOutcomes().name(), new StringSerializer(),
                new ByteArraySerializer(), PROCESSOR);
        topology.addSink(REPLIES_SINK, topics.stimulusReplies().name(), new StringSerializer(),
                new ByteArraySerializer(), PROCESSOR);
        return topology;
    }

    /** Reads each input, applies the rule to the key's entry, and stores and forwards what it answers. */
    private static final class Owner implements Processor<String, Input, String, byte[]> {

        private final StimulusDedup dedup;
        private final String source;
        private final Duration interval;
        private final int batch;
        private ProcessorContext<String, byte[]> context;
        private KeyValueStore<String, byte[]> entries;
        private Timers timers;

        Owner(StimulusDedup dedup, String source, Duration interval, int batch) {
            this.dedup = dedup;
            this.source = source;
            this.interval = interval;
            this.batch = batch;
        }

        @Override
        public void init(ProcessorContext<String, byte[]> context) {
            this.context = context;
            this.entries = context.getStateStore(STORE);
            this.timers = new Timers(context.getStateStore(TIMERS));
            // Stream time, not wall-clock: entries are dated by stream time, and a store that receives nothing does
            // not grow. The timestamp handed in is the stream time.
            context.schedule(interval, PunctuationType.STREAM_TIME, now -> timers.fireDue(now, batch,
                    key -> apply(key, new StimulusDedup.TimerDue(), now, now)));
        }

        /**
         * One request or outcome, already read strictly by its source. Whatever throws here (a key that is not the
         * record's, a stored entry that cannot be read) is dead-lettered by the processing exception handler, and
         * the owner goes on: the store and the outputs are only touched after the rule has answered.
         */
        @Override
        public void process(Record<String, Input> record) {
            checkKey(record.key(), record.value());
            long now = Math.max(context.currentStreamTimeMs(), record.timestamp());
            apply(record.key(), record.value(), now, record.timestamp());
        }

        private static void checkKey(String key, Input input) {
            String expected = switch (input) {
                case StimulusDedup.Request r -> recordKey(r.request());
                case StimulusDedup.Outcome o -> o.outcome().dedupKey();
                case StimulusDedup.TimerDue t -> key;
            };
            if (!key.equals(expected)) {
                throw new MalformedRecordException("a stimulus " + (input instanceof StimulusDedup.Request
                        ? "request" : "outcome") + " under key " + key + ", not under its own key " + expected);
            }
        }

        private static String recordKey(StimulusRequest request) {
            try {
                return StimulusKeys.recordKey(request);
            } catch (IllegalArgumentException e) {
                throw new MalformedRecordException("a stimulus request with an invalid source", e);
            }
        }

        /**
         * @param now       stream time: what the rule judges by
         * @param timestamp the timestamp of the outputs (the input's; stream time for a punctuation)
         */
        private void apply(String key, Input input, long now, long timestamp) {
            byte[] stored = entries.get(key);
            Entry current = stored == null ? null : Json.read(stored, Entry.class);
            StimulusDedup.Result result = dedup.apply(current, input, Instant.ofEpochMilli(now));
            if (result.entry() == null && current != null) {
                entries.delete(key);
            } else if (result.entry() != current) {
                entries.put(key, Json.writeBytes(result.entry()));
            }
            for (StimulusDedup.Effect effect : result.effects()) {
                switch (effect) {
                    case StimulusDedup.SetTimer t -> timers.set(t.dueMillis(), key);
                    case StimulusDedup.DeleteTimer t -> timers.delete(t.dueMillis(), key);
                    case StimulusDedup.Forward f -> emit(ACCEPTED_SINK, key, Json.writeBytes(f.request()),
                            StimulusRequest.CE_ACCEPTED, timestamp);
                    case StimulusDedup.Reply r -> emit(REPLIES_SINK, r.to(), Json.writeBytes(r.reply()),
                            StimulusReply.CE_TYPE, timestamp);
                    case StimulusDedup.Decided d -> emit(OUTCOMES_SINK, key, Json.writeBytes(d.outcome()),
                            StimulusOutcome.CE_DUPLICATE, timestamp);
                }
            }
        }

        private void emit(String sink, String key, byte[] value, String ceType, long timestamp) {
            context.forward(new Record<>(key, value, timestamp, CloudEventHeaders.of(ceType, source, key,
                    Instant.ofEpochMilli(context.currentSystemTimeMs()))), sink);
        }
    }
}
