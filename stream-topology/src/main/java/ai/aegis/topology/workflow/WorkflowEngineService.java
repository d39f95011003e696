package ai.aegis.topology.workflow;

import ai.aegis.topology.deadletter.StreamsDeadLetters;
import ai.aegis.topology.health.ComponentHealth;
import ai.aegis.topology.kafka.DurablePublisher;
import ai.aegis.topology.kafka.KafkaSettings;
import ai.aegis.topology.kafka.StreamsApp;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.Topology;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Runs {@link WorkflowEngineTopology} in this process: a {@link KafkaStreams} instance with exactly-once v2 (why: see
 * the topology's Javadoc), its RocksDB state under {@code <dataDir>/workflow-engine}. Several processes with the same
 * application id share the runs (by partition of the workflow execution id); when one stops, its partitions and
 * their stores move to the others, restored from the changelog.
 *
 * <p>Lifecycle: {@link #start(Duration)} returns once the instance is {@code RUNNING} (or fails within the bound);
 * {@link #close()} leaves the consumer group so the partitions move at once instead of after the session timeout,
 * and gives up after {@link WorkflowEngineConfig#closeTimeout()}.
 */
public final class WorkflowEngineService implements AutoCloseable {

    /** The name of the engine in its dead letters and metrics. */
    public static final String CONSUMER = "workflow-engine";

    private final StreamsApp app;

    /** With the default application id, {@link #defaultApplicationId}. */
    public WorkflowEngineService(KafkaSettings settings, Path dataDir) {
        this(settings, defaultApplicationId(settings), dataDir);
    }

    /** With {@link WorkflowEngineConfig#defaults()} (finished runs kept 24 h). */
    public WorkflowEngineService(KafkaSettings settings, String applicationId, Path dataDir) {
        this(settings, applicationId, dataDir, WorkflowEngineConfig.defaults());
    }

    /**
     * Builds the instance; nothing runs until {@link #start(Duration)}.
     *
     * @param applicationId the Kafka Streams application id: group id, prefix of internal topics, state folder
     * @param dataDir       this process's data directory; the state goes to {@code dataDir/workflow-engine}
     * @param config        retention of finished runs and the close timeout
     */
    public WorkflowEngineService(KafkaSettings settings, String applicationId, Path dataDir,
                                 WorkflowEngineConfig config) {
        Objects.requireNonNull(settings, "settings");
        String source = DurablePublisher.sourceOf("workflow-engine");
        Topology topology = new WorkflowEngineTopology(settings.topics(), new WorkflowMachine(), source,
                config.retention()).build();
        this.app = new StreamsApp("workflow engine", topology, settings, applicationId, "workflow-engine",
                dataDir.resolve("workflow-engine"), new StreamsDeadLetters(settings.topics().deadLetters().name(),
                CONSUMER, source), config.closeTimeout());
    }

    /** {@code <topic prefix>-workflow-engine}: installations sharing a cluster keep separate engines. */
    public static String defaultApplicationId(KafkaSettings settings) {
        return settings.topics().prefix() + "-workflow-engine";
    }


    /**
     * Starts and waits until the instance is {@code RUNNING}.
     *
     * @throws IllegalStateException when it is not running within {@code timeout} (the instance is then closed)
     */
    public WorkflowEngineService start(Duration timeout) {
        return start(timeout, () -> { });
    }

    /**
     * Starts, and calls {@code onFailure} (on the Streams client's thread, once) if the engine later stops on an
     * error: a process that runs only the engine exits then, so that its supervisor restarts it.
     *
     * @throws IllegalStateException when it is not running within {@code timeout} (the instance is then closed)
     */
    public WorkflowEngineService start(Duration timeout, Runnable onFailure) {
        app.start(timeout, onFailure);
        return this;
    }

    /** {@code CREATED} before {@link #start}, {@code NOT_RUNNING} once closed before its Streams client existed. */
    public KafkaStreams.State state() {
        return app.state();
    }

    /**
     * False before the start and once the Streams client stopped on an error (a stream thread failed more often than
     * the restart budget allows): a process running only the engine should exit.
     */
    public boolean healthy() {
        return app.healthy();
    }

    /** For readiness: the client's state, thread restarts and dead letters ({@code loading} before the start). */
    public ComponentHealth health() {
        return app.health();
    }

    /** Records the engine could not read, process or write, dead-lettered since it started. */
    public long deadLettersWritten() {
        return app.deadLettersWritten();
    }

    public String applicationId() {
        return app.applicationId();
    }

    @Override
    public void close() {
        app.close();
    }
}
