package ai.aegis.topology.workflow;

import ai.aegis.schemas.approval.ApprovalDecision;
import ai.aegis.schemas.approval.ApprovalCommand;
import ai.aegis.schemas.approval.ApprovalRequest;
import ai.aegis.schemas.json.Json;
import ai.aegis.schemas.topic.CloudEventHeaders;
import ai.aegis.schemas.topic.TopicCatalog;
import ai.aegis.schemas.workflow.WorkflowCommand;
import ai.aegis.schemas.workflow.WorkflowEvent;
import ai.aegis.schemas.workflow.WorkflowStepResult;
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
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * The workflow engine as one Kafka Streams topology: it reads workflow commands, step results and approval
 * decisions, applies {@link WorkflowMachine} to the run's state held in the {@value #STORE} store, and writes
 * execution requests, approval requests and workflow events.
 *
 * <pre>
 * in:  workflow.commands  (key: run id)      \
 *      workflow.steps     (key: run id)       &gt; engine processor, store workflow-state (key: run id)
 *      approval.decisions (key: approval id) /    (decisions re-keyed by run id through a repartition topic)
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
 * ({@link #EXECUTION_REQUESTED}, {@link ApprovalRequest#CE_TYPE}, {@link WorkflowEvent#ceType()}), subject = key.
 * Records that do not parse are logged and skipped: a malformed record must not stop every run behind it.
 */
public final class WorkflowEngineTopology {

    private static final System.Logger LOG = System.getLogger(WorkflowEngineTopology.class.getName());

    /** The state store of runs, keyed by workflow execution id. */
    public static final String STORE = "workflow-state";
    /** Name of the repartition step of approval decisions (the internal topic is named after it). */
    public static final String DECISIONS_REPARTITION = "approval-decisions-by-workflow";
    /** {@code ce_type} of execution requests, as the ingress writes them. */
    public static final String EXECUTION_REQUESTED = CloudEventHeaders.type("execution", "execution_requested");

    private final TopicCatalog topics;
    private final WorkflowMachine machine;
    private final String ceSource;

    /**
     * @param ceSource the {@code ce_source} of every output, e.g. {@code /aegis/workflow-engine/host-1}
     */
    public WorkflowEngineTopology(TopicCatalog topics, WorkflowMachine machine, String ceSource) {
        this.topics = Objects.requireNonNull(topics, "topics");
        this.machine = Objects.requireNonNull(machine, "machine");
        this.ceSource = Objects.requireNonNull(ceSource, "ceSource");
    }

    public Topology build() {
        StreamsBuilder builder = new StreamsBuilder();
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(STORE), Serdes.String(),
                stateSerde()));
        Consumed<String, byte[]> consumed = Consumed.with(Serdes.String(), Serdes.ByteArray());

        KStream<String, Input> commands = builder.stream(topics.workflowCommands().name(), consumed)
                .flatMapValues(v -> parse(v, WorkflowCommand.class, c -> (Input) new WorkflowMachine.Command(c)),
                        Named.as("parse-commands"));
        KStream<String, Input> steps = builder.stream(topics.workflowSteps().name(), consumed)
                .flatMapValues(v -> parse(v, WorkflowStepResult.class, r -> (Input) new WorkflowMachine.StepResult(r)),
                        Named.as("parse-steps"));
        KStream<String, Input> decisions = builder.stream(topics.approvalDecisions().name(), consumed)
                .flatMap((approvalId, v) -> parse(v, ApprovalDecision.class, d -> d).stream()
                        .filter(d -> d.workflowExecutionId() != null)
                        .map(d -> KeyValue.pair(d.workflowExecutionId(), v)).toList(), Named.as("key-decisions"))
                .repartition(Repartitioned.<String, byte[]>with(Serdes.String(), Serdes.ByteArray())
                        .withName(DECISIONS_REPARTITION))
                .flatMapValues(v -> parse(v, ApprovalDecision.class, d -> (Input) new WorkflowMachine.Decision(d)),
                        Named.as("parse-decisions"));

        commands.merge(steps, Named.as("merge-steps")).merge(decisions, Named.as("merge-decisions"))
                .process(() -> new EngineProcessor(machine, ceSource, topics), Named.as("workflow-engine"), STORE)
                .to((key, out, context) -> out.topic(), Produced.with(Serdes.String(), outputSerde())
                        .withName("engine-outputs"));
        return builder.build();
    }

    /** The store's value serde: {@link WorkflowState} as JSON. */
    public static Serde<WorkflowState> stateSerde() {
        return Serdes.serdeFrom((topic, state) -> state == null ? null : Json.writeBytes(state),
                (topic, bytes) -> bytes == null ? null : Json.read(bytes, WorkflowState.class));
    }

    private static <T, R> List<R> parse(byte[] value, Class<T> type, Function<T, R> wrap) {
        if (value == null) {
            return List.of();
        }
        try {
            return List.of(wrap.apply(Json.read(value, type)));
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "workflow engine: skipping unreadable " + type.getSimpleName()
                    + ": " + e.getMessage());
            return List.of();
        }
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
        private ProcessorContext<String, Output> context;
        private KeyValueStore<String, WorkflowState> store;

        EngineProcessor(WorkflowMachine machine, String ceSource, TopicCatalog topics) {
            this.machine = machine;
            this.ceSource = ceSource;
            this.topics = topics;
        }

        @Override
        public void init(ProcessorContext<String, Output> context) {
            this.context = context;
            this.store = context.getStateStore(STORE);
        }

        @Override
        public void process(Record<String, Input> record) {
            if (record.key() == null || record.value() == null) {
                return;
            }
            WorkflowState current = store.get(record.key());
            WorkflowMachine.Result result = machine.apply(current, record.value());
            if (result.state() != null && result.state() != current) {
                store.put(record.key(), result.state());
            }
            for (Effect effect : result.effects()) {
                forward(record.timestamp(), effect);
            }
        }

        private void forward(long timestamp, Effect effect) {
            switch (effect) {
                case SendExecution s -> send(topics.executionRequests().name(), s.request().executionId(),
                        s.request(), EXECUTION_REQUESTED, timestamp);
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
