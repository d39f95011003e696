package ai.aegis.topology.workflow;

import ai.aegis.schemas.approval.ApprovalDecision;
import ai.aegis.schemas.approval.ApprovalCommand;
import ai.aegis.schemas.approval.ApprovalRequest;
import ai.aegis.schemas.execution.ExecutionRequest;
import ai.aegis.schemas.json.Json;
import ai.aegis.schemas.topic.CloudEventHeaders;
import ai.aegis.schemas.topic.TopicCatalog;
import ai.aegis.schemas.workflow.WorkflowCommand;
import ai.aegis.schemas.workflow.WorkflowEvent;
import ai.aegis.topology.serde.WireReaders;
import ai.aegis.topology.timer.Timers;
import ai.aegis.topology.workflow.WorkflowMachine.Effect;
import ai.aegis.topology.workflow.WorkflowMachine.Emit;
import ai.aegis.topology.workflow.WorkflowMachine.Input;
import ai.aegis.topology.workflow.WorkflowMachine.SendApproval;
import ai.aegis.topology.workflow.WorkflowMachine.SendExecution;
import ai.aegis.topology.workflow.WorkflowMachine.WithdrawApproval;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The workflow engine as one Kafka Streams topology: it reads workflow commands, step results and approval
 * decisions, applies {@link WorkflowMachine} to the run's state held in the {@value #STORE} store, and writes
 * execution requests, approval requests and workflow events.
 *
 * <pre>
 * in:  workflow.commands  (key: run id)      \
 *      workflow.steps     (key: run id)       &gt; engine processor, store workflow-state (key: run id)
 *      approval.decisions (key: approval id) /    (decisions re-keyed by run id through a repartition topic)
 *                                                 and store workflow-purge-timers (key: due millis|run id)
 * out: execution.requests (key: execution id), approval.requests (key: approval id), workflow.events (key: run id)
 * </pre>
 *
 * <p>Decisions are keyed by approval id (the approval service owns them that way), so they are re-keyed by the
 * {@code workflow_execution_id} they carry and go through the internal topic
 * {@code <application.id>-}{@value #DECISIONS_REPARTITION}{@code -repartition}: every input of one run then reaches
 * the same task and the same store partition, and a run's inputs are applied one at a time, in order.
 *
 * <p><b>Why exactly-once ({@code processing.guarantee=exactly_once_v2}), not idempotent steps.</b> One input
 * updates the store (through its changelog topic), writes the outputs, and commits the input offset, all in one
 * Kafka transaction. A crash before the commit aborts all of it and the input is processed again from the same
 * stored state; a crash after it leaves nothing to redo. So a restart neither loses a step (the state and the
 * requests it implies are committed together) nor repeats one (a re-run's first attempt was aborted: its
 * execution or approval request, with the ids drawn then, is never seen). Idempotent steps would instead need
 * deterministic ids and every consumer to deduplicate. This holds because every consumer of the output topics reads
 * with {@code isolation.level=read_committed} ({@code KafkaSettings.consumer}, used by the ingress and the
 * workers, sets it), so aborted outputs are invisible to them.
 *
 * <p>Every output carries CloudEvents headers ({@link CloudEventHeaders#of}) with the record's {@code ce_type}
 * ({@link ExecutionRequest#CE_TYPE}, {@link ApprovalRequest#CE_TYPE}, {@link WorkflowEvent#ceType()}), subject = key.
 * A record that is not what its topic carries (a tombstone, JSON {@code null}, bytes that are not JSON, another
 * shape, a missing key or id) is refused by the sources' strict deserializers ({@link WireReaders}), and one the
 * processor throws on is refused by it; the exception handlers of the Streams configuration ({@code
 * KafkaSettings.streams}) write either to the dead-letter topic in the same transaction and the task goes on, so a
 * malformed record never stops every run behind it, and is never lost without a trace.
 *
 * <p><b>Retention of finished runs.</b> A run that completed, failed or was cancelled stays in the store for
 * {@link WorkflowRetention#finishedRetention()} (default 24 h), then it is deleted (a tombstone in the compacted
 * changelog), so neither the store nor its changelog grows with every run ever started. As in the approval service,
 * the purge times live in a second store, {@value #TIMERS}, as {@link Timers} (keyed by due time, then run id, so
 * that the wall-clock punctuation reads only the due entries). A timer is set when a run ends; the punctuation
 * deletes the run only if it is still finished, so a running run is never purged. Wall-clock time, not stream
 * time: a run must be purged even when no further record arrives.
 *
 * <p><b>Inputs for a purged run.</b> With no state, a step result, a decision or a cancel is ignored by the machine,
 * exactly as for a run it never heard of: nothing is stored or written. A START needs more thought, since with no
 * state the machine would start the run again. The commands topic is read once under exactly-once (the offsets commit
 * with the store), so in normal operation a start is only seen again when it is on the topic twice: the ingress writes
 * each start once, with a fresh id, through an idempotent producer whose delivery timeout is seconds, so a copy could
 * only follow within seconds, far inside the retention, while the run's state still exists. No per-run marker is
 * needed for that. There is one way to read a start long after its run ended: the engine's committed offsets are
 * lost (its consumer group had no member for the broker's {@code offsets.retention.minutes}, 7 days by default, or
 * someone reset them) and Kafka Streams starts over from the earliest offset of a topic kept forever. For that case
 * the punctuation keeps, per partition, one value in {@value #TIMERS} (key {@value #PURGED_UP_TO}): the latest
 * {@code requested_at} of any run it purged. A start for an unknown run whose {@code requested_at} is not after it
 * is dropped (logged): it was requested before a run that has already started, ended and outlived its retention on
 * the same partition, which a new start processed in order cannot be (it would need to sit unread behind that run for
 * longer than the retention). A start without {@code requested_at} (the ingress always sets it) is not protected.
 *
 * <p>Runs stored before this retention existed have no timer: the first punctuation of each partition scans the store
 * once, gives every finished run a timer (retention counted from then), and marks the partition as done in
 * {@value #TIMERS} (key {@value #SWEPT}). Each punctuation purges, or sweeps, at most a batch of runs
 * ({@value #DEFAULT_PURGE_BATCH}): all its writes share one transaction, which must end within the transaction
 * timeout; a backlog (after a long stop) is worked off over the next punctuations.
 */
public final class WorkflowEngineTopology {

    private static final System.Logger LOG = System.getLogger(WorkflowEngineTopology.class.getName());

    /** The state store of runs, keyed by workflow execution id. */
    public static final String STORE = "workflow-state";
    /** Purge timers ({@link Timers}: {@code <due millis>|<run id>} -> run id), and the bookkeeping keys below. */
    public static final String TIMERS = "workflow-purge-timers";
    /**
     * Key in {@value #TIMERS} of the latest {@code requested_at} (epoch millis) of a purged run. Starts with
     * {@code ~}, which sorts after every digit, so the range scan of due timers never reads it.
     */
    static final String PURGED_UP_TO = "~purged-requested-up-to";
    /** Key in {@value #TIMERS} set once this partition's runs from before the retention have been given timers. */
    static final String SWEPT = "~swept-unscheduled-runs";
    /** Key in {@value #TIMERS} of the last run id the unfinished sweep looked at. */
    static final String SWEEP_CURSOR = "~sweep-cursor";
    /** Most runs a punctuation purges, or sweeps, so that its transaction stays short. */
    static final int DEFAULT_PURGE_BATCH = 2_000;
    /** Name of the repartition step of approval decisions (the internal topic is named after it). */
    public static final String DECISIONS_REPARTITION = "approval-decisions-by-workflow";

    private final TopicCatalog topics;
    private final WorkflowMachine machine;
    private final String ceSource;
    private final WorkflowRetention retention;
    private final int purgeBatch;

    /** With {@link WorkflowRetention#defaults()}. */
    public WorkflowEngineTopology(TopicCatalog topics, WorkflowMachine machine, String ceSource) {
        this(topics, machine, ceSource, WorkflowRetention.defaults());
    }

    /**
     * @param ceSource  the {@code ce_source} of every output, e.g. {@code /aegis/workflow-engine/host-1}
     * @param retention how long finished runs stay in the store, and how often purges run
     */
    public WorkflowEngineTopology(TopicCatalog topics, WorkflowMachine machine, String ceSource,
                                  WorkflowRetention retention) {
        this(topics, machine, ceSource, retention, DEFAULT_PURGE_BATCH);
    }

    /** @param purgeBatch most runs one punctuation purges or sweeps (tests make it small) */
    WorkflowEngineTopology(TopicCatalog topics, WorkflowMachine machine, String ceSource, WorkflowRetention retention,
                           int purgeBatch) {
        if (purgeBatch < 1) {
            throw new IllegalArgumentException("purge batch must be positive: " + purgeBatch);
        }
        this.purgeBatch = purgeBatch;
        this.topics = Objects.requireNonNull(topics, "topics");
        this.machine = Objects.requireNonNull(machine, "machine");
        this.ceSource = Objects.requireNonNull(ceSource, "ceSource");
        this.retention = Objects.requireNonNull(retention, "retention");
    }

    public Topology build() {
        StreamsBuilder builder = new StreamsBuilder();
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(STORE), Serdes.String(),
                stateSerde()));
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(TIMERS), Serdes.String(),
                Serdes.String()));
        // Strict serdes: a record that is not what its topic carries throws in the source, and the Streams
        // configuration's deserialization handler dead-letters it (KafkaSettings.streams); nothing here skips.
        Serde<String> keys = WireReaders.requiredKey();
        KStream<String, Input> commands = builder.stream(topics.workflowCommands().name(),
                        Consumed.with(keys, WireReaders.WORKFLOW_COMMAND.serde()).withName("workflow-commands"))
                .mapValues(c -> (Input) new WorkflowMachine.Command(c), Named.as("commands-as-inputs"));
        KStream<String, Input> steps = builder.stream(topics.workflowSteps().name(),
                        Consumed.with(keys, WireReaders.WORKFLOW_STEP.serde()).withName("workflow-steps"))
                .mapValues(r -> (Input) new WorkflowMachine.StepResult(r), Named.as("steps-as-inputs"));
        Serde<ApprovalDecision> decisionSerde = WireReaders.APPROVAL_DECISION.serde();
        KStream<String, Input> decisions = builder.stream(topics.approvalDecisions().name(),
                        Consumed.with(keys, decisionSerde).withName("approval-decisions"))
                .selectKey((approvalId, d) -> d.workflowExecutionId(), Named.as("key-decisions"))
                .repartition(Repartitioned.with(keys, decisionSerde).withName(DECISIONS_REPARTITION))
                .mapValues(d -> (Input) new WorkflowMachine.Decision(d), Named.as("decisions-as-inputs"));

        commands.merge(steps, Named.as("merge-steps")).merge(decisions, Named.as("merge-decisions"))
                .process(() -> new EngineProcessor(machine, ceSource, topics, retention, purgeBatch),
                        Named.as("workflow-engine"), STORE, TIMERS)
                .to((key, out, context) -> out.topic(), Produced.with(Serdes.String(), outputSerde())
                        .withName("engine-outputs"));
        return builder.build();
    }

    /** The store's value serde: {@link WorkflowState} as JSON. */
    public static Serde<WorkflowState> stateSerde() {
        return Serdes.serdeFrom((topic, state) -> state == null ? null : Json.writeBytes(state),
                (topic, bytes) -> bytes == null ? null : Json.read(bytes, WorkflowState.class));
    }

    /** An output record's topic and value; the topic is chosen per record by the single sink. */
    record Output(String topic, byte[] value) {
    }

    private static Serde<Output> outputSerde() {
        Serializer<Output> serializer = (topic, out) -> out == null ? null : out.value();
        return Serdes.serdeFrom(serializer, (topic, bytes) -> {
            throw new UnsupportedOperationException("outputs are only written");
        });
    }

    /** Applies the machine to one input of one run and forwards the effects. */
    private static final class EngineProcessor implements Processor<String, Input, String, Output> {

        private final WorkflowMachine machine;
        private final String ceSource;
        private final TopicCatalog topics;
        private final WorkflowRetention retention;
        private final int batch;
        private ProcessorContext<String, Output> context;
        private KeyValueStore<String, WorkflowState> store;
        /** The purge timers, in {@value #TIMERS}. */
        private Timers timers;
        /** The same store, for the bookkeeping keys {@value #PURGED_UP_TO}, {@value #SWEPT}, {@value #SWEEP_CURSOR}. */
        private KeyValueStore<String, String> bookkeeping;
        /** Whether this partition's runs from before the retention have all been given timers; null until read. */
        private Boolean swept;
        /** Until the sweep is done: runs given a timer since init, which the sweep must not time twice. */
        private final Set<String> timedBeforeSweep = new HashSet<>();

        EngineProcessor(WorkflowMachine machine, String ceSource, TopicCatalog topics, WorkflowRetention retention,
                        int batch) {
            this.machine = machine;
            this.ceSource = ceSource;
            this.topics = topics;
            this.retention = retention;
            this.batch = batch;
        }

        @Override
        public void init(ProcessorContext<String, Output> context) {
            this.context = context;
            this.store = context.getStateStore(STORE);
            this.bookkeeping = context.getStateStore(TIMERS);
            this.timers = new Timers(bookkeeping);
            context.schedule(retention.purgeInterval(), PunctuationType.WALL_CLOCK_TIME, this::purge);
        }

        @Override
        public void process(Record<String, Input> record) {
            WorkflowState current = store.get(record.key());
            if (current == null && startOfPurgedRun(record.value())) {
                LOG.log(System.Logger.Level.WARNING, "workflow engine: ignoring a start of run " + record.key()
                        + " requested before a run already purged on its partition (a start read again)");
                return;
            }
            WorkflowMachine.Result result = machine.apply(current, record.value());
            WorkflowState next = result.state();
            if (next != null && next != current) {
                store.put(record.key(), next);
                if (!next.running() && (current == null || current.running())) {
                    // It has just ended: kept for the retention so that late inputs meet its state, then deleted.
                    timers.set(Timers.saturatedAdd(context.currentSystemTimeMs(),
                            retention.finishedRetention().toMillis()), record.key());
                    if (!swept()) {
                        timedBeforeSweep.add(record.key());
                    }
                }
            }
            for (Effect effect : result.effects()) {
                forward(record.timestamp(), effect);
            }
        }

        /** A start requested no later than the newest purged run of this partition: see the class comment. */
        private boolean startOfPurgedRun(Input input) {
            if (!(input instanceof WorkflowMachine.Command c) || !WorkflowCommand.START.equals(c.command().command())
                    || c.command().requestedAt() == null) {
                return false;
            }
            String purgedUpTo = bookkeeping.get(PURGED_UP_TO);
            return purgedUpTo != null && c.command().requestedAt().toEpochMilli() <= Long.parseLong(purgedUpTo);
        }

        /**
         * Deletes the finished runs whose timer is due, at most {@code batch} per punctuation: the deletes go into
         * one transaction, which must end well within the transaction timeout; the rest wait for the next one.
         */
        private void purge(long now) {
            if (!swept()) {
                sweep(now);
            }
            String stored = bookkeeping.get(PURGED_UP_TO);
            long purgedUpTo = stored == null ? Long.MIN_VALUE : Long.parseLong(stored);
            long[] newest = {purgedUpTo}; // the latest requested_at purged, raised by the action below
            timers.fireDue(now, batch, id -> {
                WorkflowState state = store.get(id);
                if (state == null || state.running()) {
                    return; // already gone, or (never expected) running again: a running run is never purged
                }
                store.delete(id);
                if (state.requestedAt() != null) {
                    newest[0] = Math.max(newest[0], state.requestedAt().toEpochMilli());
                }
            });
            if (newest[0] != purgedUpTo) {
                bookkeeping.put(PURGED_UP_TO, Long.toString(newest[0]));
            }
        }

        private boolean swept() {
            if (swept == null) {
                swept = bookkeeping.get(SWEPT) != null;
            }
            return swept;
        }

        /**
         * Gives finished runs stored before timers existed a timer counted from now, {@code batch} runs per
         * punctuation, resuming after the last key looked at ({@value #SWEEP_CURSOR}); done once per partition.
         */
        private void sweep(long now) {
            String cursor = bookkeeping.get(SWEEP_CURSOR);
            List<String> finished = new ArrayList<>();
            String last = null;
            boolean more = false;
            // The cursor and a NUL character: the smallest key after the cursor (keys are ordered by their bytes).
            try (KeyValueIterator<String, WorkflowState> it = cursor == null ? store.all()
                    : store.range(cursor + "\u0000", null)) {
                int seen = 0;
                while (it.hasNext()) {
                    if (seen++ == batch) {
                        more = true;
                        break;
                    }
                    KeyValue<String, WorkflowState> kv = it.next();
                    last = kv.key;
                    if (kv.value != null && !kv.value.running() && !timedBeforeSweep.contains(kv.key)) {
                        finished.add(kv.key);
                    }
                }
            }
            long due = Timers.saturatedAdd(now, retention.finishedRetention().toMillis());
            // Runs that ended since init have their timer. (One that ended in an earlier incarnation of this task,
            // before the sweep reached it, gets a second one: harmless, it finds nothing left to delete.)
            finished.forEach(id -> timers.set(due, id));
            if (more) {
                bookkeeping.put(SWEEP_CURSOR, last);
            } else {
                bookkeeping.delete(SWEEP_CURSOR);
                bookkeeping.put(SWEPT, Long.toString(now));
                swept = true;
                timedBeforeSweep.clear();
            }
        }

        private void forward(long timestamp, Effect effect) {
            switch (effect) {
                case SendExecution s -> send(topics.executionRequests().name(), s.request().executionId(),
                        s.request(), ExecutionRequest.CE_TYPE, timestamp);
                case SendApproval s -> send(topics.approvalRequests().name(), s.request().id(), s.request(),
                        ApprovalRequest.CE_TYPE, timestamp);
                case WithdrawApproval w -> send(topics.approvalCommands().name(), w.command().approvalId(),
                        w.command(), ApprovalCommand.CE_REJECT_REQUESTED, timestamp);
                case Emit e -> send(topics.workflowEvents().name(), e.event().workflowExecutionId(), e.event(),
                        e.event().ceType(), timestamp);
            }
        }

        private void send(String topic, String key, Object value, String ceType, long timestamp) {
            byte[] bytes = Json.writeBytes(value); // events carry their {"type": {...}} wrapper themselves
            context.forward(new Record<>(key, new Output(topic, bytes), timestamp,
                    CloudEventHeaders.of(ceType, ceSource, key, Instant.now())));
        }
    }
}
