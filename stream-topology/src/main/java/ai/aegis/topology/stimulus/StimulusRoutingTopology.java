package ai.aegis.topology.stimulus;

import ai.aegis.schemas.json.Json;
import ai.aegis.schemas.stimulus.StimulusOutcome;
import ai.aegis.schemas.stimulus.StimulusReply;
import ai.aegis.schemas.stimulus.StimulusRequest;
import ai.aegis.schemas.stimulus.StimulusRoute;
import ai.aegis.schemas.stimulus.StimulusRouter;
import ai.aegis.schemas.stimulus.StimulusSources;
import ai.aegis.schemas.topic.CloudEventHeaders;
import ai.aegis.schemas.topic.TopicCatalog;
import ai.aegis.schemas.workflow.WorkflowCommand;
import ai.aegis.schemas.workflow.WorkflowRecord;
import ai.aegis.topology.serde.MalformedRecordException;
import ai.aegis.topology.serde.WireReader;
import ai.aegis.topology.serde.WireReaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

import java.time.Clock;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.function.BiConsumer;
import java.util.function.Supplier;

/**
 * The routing stage of stimuli: a Kafka Streams topology (run with {@code exactly_once_v2},
 * {@code KafkaSettings.streams}) that reads the stimuli that passed the deduplication, looks up the direct route of
 * each one's source, starts the workflow the route names, and writes the stimulus's outcome (for the deduplication
 * stage) and, when somebody waits, its reply. The rules are {@link StimulusRouting}'s; this class looks up and writes.
 *
 * <pre>
 * in:  stimulus.accepted (key: dedup key | stimulus id)      processor "stimulus-routing"
 *      stimulus.routes.v1 (compacted, key: source)         -> global store stimulus-routing-routes
 *      stimulus.router.v1 (compacted, key: "router")       -> global store stimulus-routing-router
 *      workflows.v1 (compacted, key: workflow name)        -> global store stimulus-routing-workflows
 * out: workflow.commands (key: the new workflow execution id; start, only when a run is started),
 *      stimulus.outcomes (key: the stimulus's record key), stimulus.replies (key: the waiting node id)
 * </pre>
 *
 * <p><b>What it does not do yet.</b> Only direct routes route. A stimulus whose source has no route is refused:
 * {@code no_router_configured} without a RouterAgent, and {@code router_agent_failed} with one, since classification
 * by the RouterAgent (an execution of the agent on the stimulus, its answer {@code {"workflow", "confidence"}}
 * against the threshold and the timeout) is later work; it will replace that one branch of {@link StimulusRouting}.
 *
 * <p><b>Why global stores.</b> Stimuli are keyed by deduplication key, so any task may receive a stimulus of any
 * source: every task needs the whole route table, the router setting and the workflow registry, not a partition of
 * them. The three tables are small (a route per source, one router record, a record per workflow), so each instance
 * keeps a full copy, in RocksDB, kept up to date by its global thread from the compacted topics; a route set or
 * removed (a tombstone) is seen by every instance without a repartition or a join. A global store has no changelog of
 * its own: it is restored from its topic, through the same processor. Its updates are not synchronised with the
 * stimuli: a stimulus read just after a route was set may still meet the old table.
 *
 * <p><b>One transaction.</b> The command, the outcome and the reply of a stimulus are forwarded in the same
 * {@code process} call, so under exactly-once they commit with the stimulus's offset, together: the reply, which the
 * ingress answers its caller from, is never visible without the command and the outcome; a crash before the commit
 * routes the stimulus again, with a new workflow execution id, and the first attempt's records are aborted.
 *
 * <p><b>Bad records.</b> A stimulus that is not a complete request (a tombstone, JSON {@code null}, bytes that are
 * not JSON, another shape, no key, an invalid source) is refused by the processor and dead-lettered by the Streams
 * configuration's handler, in the same transaction, and the task goes on. A bad record on one of the three tables
 * (not a complete route, router or workflow; a route under another source's key; a router under a key other than
 * {@value StimulusRouter#KEY}; no key) is skipped with a warning and leaves the table as it was: its values are read
 * as bytes and checked in the global processor, since a global thread that fails stops the whole client.
 */
public final class StimulusRoutingTopology {

    /** Source name -> {@link StimulusRoute} as JSON (global). */
    public static final String ROUTES_STORE = "stimulus-routing-routes";
    /** {@value StimulusRouter#KEY} -> {@link StimulusRouter} as JSON (global). */
    public static final String ROUTER_STORE = "stimulus-routing-router";
    /** Workflow name -> {@link WorkflowRecord} as JSON (global). */
    public static final String WORKFLOWS_STORE = "stimulus-routing-workflows";
    /** The dead letters' {@code consumer}, and the suffix of the application id. */
    public static final String CONSUMER = "stimulus-routing";

    private static final System.Logger LOG = System.getLogger(StimulusRoutingTopology.class.getName());

    private static final String ACCEPTED_SOURCE = "stimulus-accepted";
    private static final String PROCESSOR = "stimulus-routing";
    private static final String COMMANDS_SINK = "workflow-commands";
    private static final String OUTCOMES_SINK = "stimulus-outcomes";
    private static final String REPLIES_SINK = "stimulus-replies";

    private StimulusRoutingTopology() {
    }

    /** The Kafka Streams application id: shared by every instance of one installation. */
    public static String applicationId(TopicCatalog topics) {
        return topics.prefix() + "-" + CONSUMER;
    }

    /**
     * With random (UUID) workflow execution ids.
     *
     * @param topics   where the stimulus and workflow topics are
     * @param ceSource CloudEvents {@code ce_source} of what this topology writes
     * @param clock    {@code requested_at}, {@code routed_at}, {@code replied_at} (at millisecond precision)
     */
    public static Topology build(TopicCatalog topics, String ceSource, Clock clock) {
        return build(topics, ceSource, clock, () -> UUID.randomUUID().toString());
    }

    /** @param ids the workflow execution id of each run started (tests give known ones) */
    public static Topology build(TopicCatalog topics, String ceSource, Clock clock, Supplier<String> ids) {
        Objects.requireNonNull(topics, "topics");
        Objects.requireNonNull(ceSource, "ceSource");
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(ids, "ids");
        Topology topology = new Topology();
        addTable(topology, ROUTES_STORE, topics.stimulusRoutes().name(), (source, value) -> {
            StimulusRoute route = WireReaders.STIMULUS_ROUTE.read(value);
            if (!route.source().equals(source)) {
                throw new MalformedRecordException("a route of source '" + route.source() + "' under the key '"
                        + source + "'");
            }
        });
        addTable(topology, ROUTER_STORE, topics.stimulusRouter().name(), (key, value) -> {
            if (!StimulusRouter.KEY.equals(key)) {
                throw new MalformedRecordException("a router setting under the key '" + key + "', not '"
                        + StimulusRouter.KEY + "'");
            }
            WireReaders.STIMULUS_ROUTER.read(value);
        });
        addTable(topology, WORKFLOWS_STORE, topics.workflows().name(),
                (name, value) -> WireReaders.WORKFLOW.read(value));

        // The key is required (a keyless record is dead-lettered by the deserialization handler); the value is read
        // in the processor, which dead-letters what it cannot read through the processing handler.
        topology.addSource(ACCEPTED_SOURCE, WireReaders.requiredKey().deserializer(), new ByteArrayDeserializer(),
                topics.stimulusAccepted().name());
        topology.addProcessor(PROCESSOR, () -> new Router(ceSource, clock, ids), ACCEPTED_SOURCE);
        topology.addSink(COMMANDS_SINK, topics.workflowCommands().name(), new StringSerializer(),
                new ByteArraySerializer(), PROCESSOR);
        topology.addSink(OUTCOMES_SINK, topics.stimulusOutcomes().name(), new StringSerializer(),
                new ByteArraySerializer(), PROCESSOR);
        topology.addSink(REPLIES_SINK, topics.stimulusReplies().name(), new StringSerializer(),
                new ByteArraySerializer(), PROCESSOR);
        return topology;
    }

    /**
     * A global store of {@code topic}: key -> the value's bytes, a tombstone deletes. Values (and keys) are read as
     * bytes, so that no deserializer throws in the global thread; {@code check} refuses what is not a record of the
     * table, which is then skipped.
     */
    private static void addTable(Topology topology, String store, String topic, BiConsumer<String, byte[]> check) {
        topology.addGlobalStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(store), Serdes.String(),
                        Serdes.ByteArray()).withLoggingDisabled(), store + "-source", new StringDeserializer(),
                new ByteArrayDeserializer(), topic, store + "-table", () -> new Table(store, topic, check));
    }

    /** Folds a compacted topic into its global store. */
    private static final class Table implements Processor<String, byte[], Void, Void> {

        private final String store;
        private final String topic;
        private final BiConsumer<String, byte[]> check;
        private KeyValueStore<String, byte[]> table;

        Table(String store, String topic, BiConsumer<String, byte[]> check) {
            this.store = store;
            this.topic = topic;
            this.check = check;
        }

        @Override
        public void init(ProcessorContext<Void, Void> context) {
            table = context.getStateStore(store);
        }

        @Override
        public void process(Record<String, byte[]> record) {
            String key = record.key();
            if (key == null || key.isBlank()) {
                LOG.log(System.Logger.Level.WARNING, CONSUMER + ": skipping a record without a key on " + topic);
                return;
            }
            if (record.value() == null) {
                table.delete(key);
                return;
            }
            try {
                check.accept(key, record.value());
            } catch (MalformedRecordException | IllegalArgumentException e) {
                LOG.log(System.Logger.Level.WARNING, CONSUMER + ": skipping a bad record under the key '" + key
                        + "' on " + topic + " (" + e.getMessage() + "); the table keeps what it had");
                return;
            }
            table.put(key, record.value());
        }
    }

    /** Routes each accepted stimulus and writes what the rule answers. */
    private static final class Router implements Processor<String, byte[], String, byte[]> {

        private final String source;
        private final Clock clock;
        private final Supplier<String> ids;
        private ProcessorContext<String, byte[]> context;
        private KeyValueStore<String, byte[]> routes;
        private KeyValueStore<String, byte[]> router;
        private KeyValueStore<String, byte[]> workflows;

        Router(String source, Clock clock, Supplier<String> ids) {
            this.source = source;
            this.clock = clock;
            this.ids = ids;
        }

        @Override
        public void init(ProcessorContext<String, byte[]> context) {
            this.context = context;
            this.routes = context.getStateStore(ROUTES_STORE);
            this.router = context.getStateStore(ROUTER_STORE);
            this.workflows = context.getStateStore(WORKFLOWS_STORE);
        }

        /**
         * One accepted stimulus. What throws here (a value that is not a complete request, an invalid source) is
         * dead-lettered by the processing exception handler, and the task goes on: nothing is forwarded before the
         * rule has answered.
         */
        @Override
        public void process(Record<String, byte[]> record) {
            StimulusRequest request = WireReaders.STIMULUS_REQUEST.read(record.value());
            String name;
            try {
                name = StimulusSources.normalise(request.source());
            } catch (IllegalArgumentException e) {
                throw new MalformedRecordException("a stimulus request with an invalid source", e);
            }
            Optional<StimulusRoute> route = lookup(routes, name, WireReaders.STIMULUS_ROUTE);
            Optional<StimulusRouter> agent = lookup(router, StimulusRouter.KEY, WireReaders.STIMULUS_ROUTER);
            Optional<WorkflowRecord> workflow = route.flatMap(r -> lookup(workflows, r.workflow(),
                    WireReaders.WORKFLOW));
            StimulusRouting.Result result = StimulusRouting.route(request, route, agent, workflow, ids,
                    Instant.ofEpochMilli(clock.millis()));
            // All in this one call, so in one transaction: the reply is never visible before the command and outcome.
            for (StimulusRouting.Effect effect : result.effects()) {
                switch (effect) {
                    case StimulusRouting.StartWorkflow s -> emit(COMMANDS_SINK, s.workflowExecutionId(),
                            Json.writeBytes(s.command()), WorkflowCommand.CE_START_REQUESTED, record.timestamp());
                    case StimulusRouting.Outcome o -> emit(OUTCOMES_SINK, o.key(), Json.writeBytes(o.outcome()),
                            StimulusOutcome.CE_TYPE, record.timestamp());
                    case StimulusRouting.Reply r -> emit(REPLIES_SINK, r.to(), Json.writeBytes(r.reply()),
                            StimulusReply.CE_TYPE, record.timestamp());
                }
            }
        }

        /** The stored values were checked when they were stored. */
        private static <T> Optional<T> lookup(KeyValueStore<String, byte[]> store, String key, WireReader<T> reader) {
            byte[] value = store.get(key);
            return value == null ? Optional.empty() : Optional.of(reader.read(value));
        }

        private void emit(String sink, String key, byte[] value, String ceType, long timestamp) {
            context.forward(new Record<>(key, value, timestamp, CloudEventHeaders.of(ceType, source, key,
                    Instant.ofEpochMilli(context.currentSystemTimeMs()))), sink);
        }
    }
}
