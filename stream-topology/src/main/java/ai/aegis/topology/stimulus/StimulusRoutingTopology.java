package ai.aegis.topology.stimulus;

import ai.aegis.schemas.agent.AgentRecord;
import ai.aegis.schemas.deadletter.DeadLetter;
import ai.aegis.schemas.execution.ExecutionCommand;
import ai.aegis.schemas.execution.ExecutionEvent;
import ai.aegis.schemas.execution.ExecutionRequest;
import ai.aegis.schemas.json.Json;
import ai.aegis.schemas.stimulus.StimulusClassification;
import ai.aegis.schemas.stimulus.StimulusOutcome;
import ai.aegis.schemas.stimulus.StimulusReply;
import ai.aegis.schemas.stimulus.StimulusRequest;
import ai.aegis.schemas.stimulus.StimulusRoute;
import ai.aegis.schemas.stimulus.StimulusRouter;
import ai.aegis.schemas.stimulus.StimulusSources;
import ai.aegis.schemas.stimulus.StimulusStatus;
import ai.aegis.schemas.topic.CloudEventHeaders;
import ai.aegis.schemas.topic.TopicCatalog;
import ai.aegis.schemas.workflow.WorkflowCommand;
import ai.aegis.schemas.workflow.WorkflowRecord;
import ai.aegis.topology.deadletter.DeadLetters;
import ai.aegis.topology.serde.MalformedRecordException;
import ai.aegis.topology.serde.WireReader;
import ai.aegis.topology.serde.WireReaders;
import ai.aegis.topology.timer.Timers;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.function.BiConsumer;
import java.util.function.Supplier;

/**
 * The routing stage of stimuli: a Kafka Streams topology (run with {@code exactly_once_v2},
 * {@code KafkaSettings.streams}) that reads the stimuli that passed the deduplication and routes each one by the direct
 * route of its source, or by the RouterAgent's classification, to a workflow run; it writes the stimulus's outcome (for
 * the deduplication stage and the readers of decisions) and, when somebody waits, its reply. The rules are
 * {@link StimulusRouting}'s; this class looks up, writes, and keeps the classifications under way.
 *
 * <pre>
 * sub-topology 1, processor "stimulus-routing"
 *   in:  stimulus.accepted (key: dedup key | stimulus id)
 *   out: workflow.commands (key: the new run's id), stimulus.outcomes (key: the stimulus's record key),
 *        stimulus.replies (key: the waiting node id); to classify: execution.requests and
 *        stimulus.classifications (both keyed by the RouterAgent's new execution id)
 * sub-topology 2, processor "stimulus-classification", store stimulus-classification-pending (+ its timers)
 *   in:  stimulus.classifications, execution.events (both keyed by execution id, co-partitioned)
 *   out: workflow.commands, stimulus.outcomes, stimulus.replies, deadletter; execution.commands (cancel, at the
 *        deadline)
 * global stores, read by both: stimulus.routes.v1 (key: source), stimulus.router.v1 (key: "router"),
 *   workflows.v1 (key: workflow name), agents.v1 (key: agent id)
 * </pre>
 *
 * <p><b>Classification.</b> A stimulus that no direct route matches, with a RouterAgent set, starts an ordinary
 * execution of that agent (a snapshot of it, so a worker needs no lookup) and writes the {@link StimulusClassification}
 * that waits for it, in the same transaction, keyed by the execution id. The second sub-topology holds it in a
 * RocksDB store with a timer at its deadline, reads the execution's events from the same partition number, and at the
 * first terminal event routes or refuses the stimulus ({@link StimulusRouting#classified}); a wall-clock punctuation
 * ({@value #DEADLINE_CHECK_MS} ms) refuses the stimuli whose deadline passed and cancels their executions
 * ({@link StimulusRouting#timedOut}). The classification commits before any worker can read the request, so it is on
 * the broker, with an earlier timestamp, before any event of the execution exists; Kafka Streams (with the default
 * {@code max.task.idle.ms} of 0) fetches what is on the broker for every partition of a task and processes in
 * timestamp order, so it meets the classification first. Events of executions nobody waits for are passed over on
 * their {@code ce_type} header, without being parsed. The ingress's wait for a reply (35 s by default) is longer than
 * the router's default timeout (30 s); a router given longer answers later than the caller waits, who gets a 503 and
 * may look the stimulus up by id. The deduplication's in-flight timeout must exceed the longest router timeout
 * ({@value StimulusRouter#MAX_TIMEOUT_SECONDS} s), or a retry during a classification would be routed too.
 *
 * <p><b>Why global stores.</b> Stimuli are keyed by deduplication key, so any task may receive a stimulus of any
 * source: every task needs the whole route table, the router setting, the workflow registry and the agents, not a
 * partition of them. The tables are small (a route per source, one router record, a record per workflow and agent),
 * so each instance keeps a full copy, in RocksDB, kept up to date by its global thread from the compacted topics; a
 * route set or removed (a tombstone) is seen by every instance without a repartition or a join. A global store has no
 * changelog of its own: it is restored from its topic, through the same processor. Its updates are not synchronised
 * with the stimuli: a stimulus read just after a route was set may still meet the old table.
 *
 * <p><b>One transaction.</b> What one stimulus (or one classification's end) causes is forwarded in the same
 * {@code process} call, so under exactly-once it commits with the input's offset, together: the reply, which the
 * ingress answers its caller from, is never visible without the command and the outcome; a crash before the commit
 * routes the stimulus again, with new ids, and the first attempt's records are aborted.
 *
 * <p><b>Bad records.</b> A stimulus or classification that is not a complete record (a tombstone, JSON {@code null},
 * bytes that are not JSON, another shape, no key, an invalid source, a classification under another execution's key)
 * is refused by the processor and dead-lettered by the Streams configuration's handler, in the same transaction, and
 * the task goes on; so is a bad event of an execution that a classification waits for (which then ends at its
 * deadline). A bad record on one of the tables (not a complete route, router, workflow or agent; a route under another
 * source's key; a router under a key other than {@value StimulusRouter#KEY}; no key) is skipped with a warning and
 * leaves the table as it was: its values are read as bytes and checked in the global processor, since a global thread
 * that fails stops the whole client.
 */
public final class StimulusRoutingTopology {

    /** Source name -> {@link StimulusRoute} as JSON (global). */
    public static final String ROUTES_STORE = "stimulus-routing-routes";
    /** {@value StimulusRouter#KEY} -> {@link StimulusRouter} as JSON (global). */
    public static final String ROUTER_STORE = "stimulus-routing-router";
    /** Workflow name -> {@link WorkflowRecord} as JSON (global). */
    public static final String WORKFLOWS_STORE = "stimulus-routing-workflows";
    /** Agent id -> {@link AgentRecord} as JSON (global). */
    public static final String AGENTS_STORE = "stimulus-routing-agents";
    /** Execution id -> {@link StimulusClassification} as JSON: the classifications under way. */
    public static final String PENDING_STORE = "stimulus-classification-pending";
    /** The deadlines of the classifications under way ({@link Timers}). */
    public static final String DEADLINES_STORE = "stimulus-classification-deadlines";
    /** The dead letters' {@code consumer}, and the suffix of the application id. */
    public static final String CONSUMER = "stimulus-routing";
    /** How often the deadlines of classifications are checked (wall clock). */
    public static final long DEADLINE_CHECK_MS = 1000;

    private static final System.Logger LOG = System.getLogger(StimulusRoutingTopology.class.getName());

    private static final String ACCEPTED_SOURCE = "stimulus-accepted";
    private static final String PROCESSOR = "stimulus-routing";
    private static final String COMMANDS_SINK = "workflow-commands";
    private static final String OUTCOMES_SINK = "stimulus-outcomes";
    private static final String REPLIES_SINK = "stimulus-replies";
    private static final String DEAD_LETTERS_SINK = "stimulus-refusals";
    private static final String EXECUTIONS_SINK = "execution-requests";
    private static final String CLASSIFICATIONS_SINK = "stimulus-classifications";
    private static final String CLASSIFICATIONS_SOURCE = "stimulus-classifications-source";
    private static final String EVENTS_SOURCE = "execution-events";
    private static final String CLASSIFIER = "stimulus-classification";
    /** The second sub-topology's own sinks (a sink shared by two would join them into one). */
    private static final String CLASSIFIED_PREFIX = "classified-";
    private static final String CANCELS_SINK = "classified-execution-commands";
    /** At most this many deadlines are handled in one punctuation; the rest in the next. */
    private static final int DEADLINES_PER_CHECK = 1000;

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
     * @param clock    {@code requested_at}, {@code routed_at}, {@code replied_at} and the deadlines (millisecond
     *                 precision)
     */
    public static Topology build(TopicCatalog topics, String ceSource, Clock clock) {
        return build(topics, ceSource, clock, () -> UUID.randomUUID().toString());
    }

    /** @param ids the ids of the runs and executions started (tests give known ones) */
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
        addTable(topology, AGENTS_STORE, topics.agents().name(), (id, value) -> {
            AgentRecord agent = WireReaders.AGENT.read(value);
            if (!id.equals(agent.id())) {
                throw new MalformedRecordException("the agent " + agent.id() + " under the key '" + id + "'");
            }
        });

        // The key is required (a keyless record is dead-lettered by the deserialization handler); the value is read
        // in the processor, which dead-letters what it cannot read through the processing handler.
        topology.addSource(ACCEPTED_SOURCE, WireReaders.requiredKey().deserializer(), new ByteArrayDeserializer(),
                topics.stimulusAccepted().name());
        topology.addProcessor(PROCESSOR, () -> new Router(ceSource, clock, ids, topics.stimulusAccepted().name()),
                ACCEPTED_SOURCE);
        addSinks(topology, "", PROCESSOR, topics);
        topology.addSink(EXECUTIONS_SINK, topics.executionRequests().name(), new StringSerializer(),
                new ByteArraySerializer(), PROCESSOR);
        topology.addSink(CLASSIFICATIONS_SINK, topics.stimulusClassifications().name(), new StringSerializer(),
                new ByteArraySerializer(), PROCESSOR);

        topology.addSource(CLASSIFICATIONS_SOURCE, WireReaders.requiredKey().deserializer(),
                new ByteArrayDeserializer(), topics.stimulusClassifications().name());
        topology.addSource(EVENTS_SOURCE, WireReaders.requiredKey().deserializer(), new ByteArrayDeserializer(),
                topics.executionEvents().name());
        topology.addProcessor(CLASSIFIER, () -> new Classifier(ceSource, clock, ids,
                topics.stimulusClassifications().name(), topics.stimulusAccepted().name()), CLASSIFICATIONS_SOURCE,
                EVENTS_SOURCE);
        topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(PENDING_STORE),
                Serdes.String(), Serdes.ByteArray()), CLASSIFIER);
        topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(DEADLINES_STORE),
                Serdes.String(), Serdes.String()), CLASSIFIER);
        addSinks(topology, CLASSIFIED_PREFIX, CLASSIFIER, topics);
        topology.addSink(CANCELS_SINK, topics.executionCommands().name(), new StringSerializer(),
                new ByteArraySerializer(), CLASSIFIER);
        return topology;
    }

    /** The commands, outcomes, replies and dead-letter sinks of one processor, named with {@code prefix}. */
    private static void addSinks(Topology topology, String prefix, String parent, TopicCatalog topics) {
        topology.addSink(prefix + DEAD_LETTERS_SINK, topics.deadLetters().name(), new StringSerializer(),
                new ByteArraySerializer(), parent);
        topology.addSink(prefix + COMMANDS_SINK, topics.workflowCommands().name(), new StringSerializer(),
                new ByteArraySerializer(), parent);
        topology.addSink(prefix + OUTCOMES_SINK, topics.stimulusOutcomes().name(), new StringSerializer(),
                new ByteArraySerializer(), parent);
        topology.addSink(prefix + REPLIES_SINK, topics.stimulusReplies().name(), new StringSerializer(),
                new ByteArraySerializer(), parent);
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

    /** {@link StimulusRouting.Tables} over the global stores. The stored values were checked when they were stored. */
    private static final class StoreTables implements StimulusRouting.Tables {

        private final KeyValueStore<String, byte[]> routes;
        private final KeyValueStore<String, byte[]> router;
        private final KeyValueStore<String, byte[]> workflows;
        private final KeyValueStore<String, byte[]> agents;

        StoreTables(ProcessorContext<?, ?> context) {
            this.routes = context.getStateStore(ROUTES_STORE);
            this.router = context.getStateStore(ROUTER_STORE);
            this.workflows = context.getStateStore(WORKFLOWS_STORE);
            this.agents = context.getStateStore(AGENTS_STORE);
        }

        @Override
        public Optional<StimulusRoute> route(String source) {
            return lookup(routes, source, WireReaders.STIMULUS_ROUTE);
        }

        @Override
        public Optional<StimulusRouter> router() {
            return lookup(router, StimulusRouter.KEY, WireReaders.STIMULUS_ROUTER);
        }

        @Override
        public Optional<WorkflowRecord> workflow(String name) {
            return lookup(workflows, name, WireReaders.WORKFLOW);
        }

        @Override
        public Optional<AgentRecord> agent(String id) {
            return lookup(agents, id, WireReaders.AGENT);
        }

        @Override
        public List<String> workflowNames(int limit) {
            List<String> names = new ArrayList<>();
            try (KeyValueIterator<String, byte[]> all = workflows.all()) {
                while (all.hasNext() && names.size() < limit) {
                    names.add(all.next().key);
                }
            }
            return names;
        }

        private static <T> Optional<T> lookup(KeyValueStore<String, byte[]> store, String key, WireReader<T> reader) {
            byte[] value = store.get(key);
            return value == null ? Optional.empty() : Optional.of(reader.read(value));
        }
    }

    /**
     * Writes what a rule answered, to the sinks of one processor (named with {@code prefix}); a refusal also as a dead
     * letter of the stimulus, with its reason, for operators (the stimulus itself is replayed from its request,
     * {@code POST /v1/stimuli/{id}/replay}, since a dead letter keeps at most 256 KiB of it).
     */
    private record Emitter(ProcessorContext<String, byte[]> context, String source, String prefix,
                           String acceptedTopic) {

        /** @param stimulus what was routed, as read; {@code at} where (its accepted record), or null when unknown */
        void emitAll(StimulusRouting.Result result, StimulusRequest stimulus, RecordMetadata at, long timestamp) {
            for (StimulusRouting.Effect effect : result.effects()) {
                switch (effect) {
                    case StimulusRouting.StartWorkflow s -> emit(prefix + COMMANDS_SINK, s.workflowExecutionId(),
                            Json.writeBytes(s.command()), WorkflowCommand.CE_START_REQUESTED, timestamp);
                    case StimulusRouting.RequestExecution r -> emit(EXECUTIONS_SINK, r.executionId(),
                            Json.writeBytes(r.request()), ExecutionRequest.CE_TYPE, timestamp);
                    case StimulusRouting.AwaitClassification a -> emit(CLASSIFICATIONS_SINK, a.executionId(),
                            Json.writeBytes(a.classification()), StimulusClassification.CE_TYPE, timestamp);
                    case StimulusRouting.CancelExecution c -> emit(CANCELS_SINK, c.executionId(),
                            Json.writeBytes(c.command()), ExecutionCommand.CE_CANCEL_REQUESTED, timestamp);
                    case StimulusRouting.Outcome o -> {
                        emit(prefix + OUTCOMES_SINK, o.key(), Json.writeBytes(o.outcome()), StimulusOutcome.CE_TYPE,
                                timestamp);
                        if (o.outcome().outcome() == StimulusStatus.REFUSED
                                && o.outcome().error() != null) {
                            deadLetter(o.key(), stimulus, at, o.outcome().error(), timestamp);
                        }
                    }
                    case StimulusRouting.Reply r -> emit(prefix + REPLIES_SINK, r.to(), Json.writeBytes(r.reply()),
                            StimulusReply.CE_TYPE, timestamp);
                }
            }
        }

        private void deadLetter(String key, StimulusRequest stimulus, RecordMetadata at,
                                StimulusReply.ReplyError error, long timestamp) {
            DeadLetter letter = DeadLetter.of(CONSUMER, acceptedTopic, at == null ? -1 : at.partition(),
                    at == null ? -1 : at.offset(), key, Json.writeBytes(stimulus),
                    new StimulusRefusedException(error.code(), error.message()),
                    Instant.ofEpochMilli(context.currentSystemTimeMs()));
            context.forward(new Record<>(key, Json.writeBytes(letter), timestamp,
                    DeadLetters.headers(letter, source)), prefix + DEAD_LETTERS_SINK);
        }

        private void emit(String sink, String key, byte[] value, String ceType, long timestamp) {
            context.forward(new Record<>(key, value, timestamp, CloudEventHeaders.of(ceType, source, key,
                    Instant.ofEpochMilli(context.currentSystemTimeMs()))), sink);
        }
    }

    /** Routes each accepted stimulus and writes what the rule answers. */
    private static final class Router implements Processor<String, byte[], String, byte[]> {

        private final String source;
        private final Clock clock;
        private final Supplier<String> ids;
        private final String acceptedTopic;
        private ProcessorContext<String, byte[]> context;
        private Emitter emitter;
        private StoreTables tables;

        Router(String source, Clock clock, Supplier<String> ids, String acceptedTopic) {
            this.source = source;
            this.clock = clock;
            this.ids = ids;
            this.acceptedTopic = acceptedTopic;
        }

        @Override
        public void init(ProcessorContext<String, byte[]> context) {
            this.context = context;
            this.emitter = new Emitter(context, source, "", acceptedTopic);
            this.tables = new StoreTables(context);
        }

        /**
         * One accepted stimulus. What throws here (a value that is not a complete request, an invalid source) is
         * dead-lettered by the processing exception handler, and the task goes on: nothing is forwarded before the
         * rule has answered.
         */
        @Override
        public void process(Record<String, byte[]> record) {
            StimulusRequest request = normalised(WireReaders.STIMULUS_REQUEST.read(record.value()));
            StimulusRouting.Result result = StimulusRouting.route(request, tables, ids,
                    Instant.ofEpochMilli(clock.millis()));
            // All in this one call, so in one transaction: the reply is never visible before the command and outcome.
            emitter.emitAll(result, request, context.recordMetadata().orElse(null), record.timestamp());
        }
    }

    /** The request with its source normalised (the rules look routes up by it). */
    private static StimulusRequest normalised(StimulusRequest request) {
        String name;
        try {
            name = StimulusSources.normalise(request.source());
        } catch (IllegalArgumentException e) {
            throw new MalformedRecordException("a stimulus request with an invalid source", e);
        }
        return name.equals(request.source()) ? request : request.withSource(name);
    }

    /**
     * Holds the classifications under way, ends each at its execution's end or its deadline, and writes what the
     * rules answer.
     */
    private static final class Classifier implements Processor<String, byte[], String, byte[]> {

        private final String source;
        private final Clock clock;
        private final Supplier<String> ids;
        private final String classificationsTopic;
        private final String acceptedTopic;
        private ProcessorContext<String, byte[]> context;
        private Emitter emitter;
        private StoreTables tables;
        private KeyValueStore<String, byte[]> pending;
        private Timers deadlines;

        Classifier(String source, Clock clock, Supplier<String> ids, String classificationsTopic,
                   String acceptedTopic) {
            this.source = source;
            this.clock = clock;
            this.ids = ids;
            this.classificationsTopic = classificationsTopic;
            this.acceptedTopic = acceptedTopic;
        }

        @Override
        public void init(ProcessorContext<String, byte[]> context) {
            this.context = context;
            this.emitter = new Emitter(context, source, CLASSIFIED_PREFIX, acceptedTopic);
            this.tables = new StoreTables(context);
            this.pending = context.getStateStore(PENDING_STORE);
            this.deadlines = new Timers(context.getStateStore(DEADLINES_STORE));
            context.schedule(Duration.ofMillis(DEADLINE_CHECK_MS), PunctuationType.WALL_CLOCK_TIME,
                    now -> deadlines.fireDue(clock.millis(), DEADLINES_PER_CHECK, this::expire));
        }

        @Override
        public void process(Record<String, byte[]> record) {
            boolean classification = context.recordMetadata().map(m -> classificationsTopic.equals(m.topic()))
                    .orElse(false);
            if (classification) {
                begin(record);
            } else {
                onEvent(record);
            }
        }

        private void begin(Record<String, byte[]> record) {
            StimulusClassification c = read(record.value());
            if (!c.executionId().equals(record.key())) {
                throw new MalformedRecordException("a classification of execution " + c.executionId()
                        + " under the key '" + record.key() + "'");
            }
            if (pending.get(c.executionId()) != null) {
                return; // the same record again
            }
            pending.put(c.executionId(), record.value());
            deadlines.set(c.deadline().toEpochMilli(), c.executionId());
        }

        private void onEvent(Record<String, byte[]> record) {
            // Most events are of executions nobody classifies with, and most are not terminal: the header tells.
            Optional<String> type = CloudEventHeaders.get(record.headers(), CloudEventHeaders.TYPE);
            if (type.isPresent() && !TERMINAL_TYPES.contains(type.get())) {
                return;
            }
            byte[] held = pending.get(record.key());
            if (held == null) {
                return;
            }
            ExecutionEvent event = WireReaders.EXECUTION_EVENT.read(record.value());
            if (!event.terminal() || !record.key().equals(event.executionId())) {
                return;
            }
            StimulusClassification c = read(held);
            end(c);
            emitter.emitAll(StimulusRouting.classified(c, event, tables, ids, Instant.ofEpochMilli(clock.millis())),
                    c.stimulus(), null, record.timestamp());
        }

        private void expire(String executionId) {
            byte[] held = pending.get(executionId);
            if (held == null) {
                return;
            }
            StimulusClassification c = read(held);
            pending.delete(executionId);
            long now = clock.millis();
            emitter.emitAll(StimulusRouting.timedOut(c, Instant.ofEpochMilli(now)), c.stimulus(), null, now);
        }

        private void end(StimulusClassification c) {
            pending.delete(c.executionId());
            deadlines.delete(c.deadline().toEpochMilli(), c.executionId());
        }

        private static StimulusClassification read(byte[] value) {
            StimulusClassification c = WireReaders.STIMULUS_CLASSIFICATION.read(value);
            return new StimulusClassification(c.executionId(), normalised(c.stimulus()), c.agentId(),
                    c.confidenceThreshold(), c.timeoutSeconds(), c.deadline(), c.requestedAt());
        }
    }

    /** The {@code ce_type}s of the terminal execution events. */
    private static final java.util.Set<String> TERMINAL_TYPES = java.util.Set.of(
            CloudEventHeaders.type("execution", "execution_completed"),
            CloudEventHeaders.type("execution", "execution_failed"),
            CloudEventHeaders.type("execution", "execution_cancelled"),
            CloudEventHeaders.type("execution", "execution_timed_out"));
}
