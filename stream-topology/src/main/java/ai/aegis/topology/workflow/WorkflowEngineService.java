package ai.aegis.topology.workflow;

import ai.aegis.topology.deadletter.StreamsDeadLetters;
import ai.aegis.topology.health.ComponentHealth;
import ai.aegis.topology.health.HealthState;
import ai.aegis.topology.health.RestartBudget;
import ai.aegis.topology.kafka.DurablePublisher;
import ai.aegis.topology.kafka.KafkaSettings;
import ai.aegis.topology.kafka.StreamsSupervisor;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

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

    private static final System.Logger LOG = System.getLogger(WorkflowEngineService.class.getName());

    /** The name of the engine in its dead letters and metrics. */
    public static final String CONSUMER = "workflow-engine";

    private final Topology topology;
    private final String applicationId;
    private final KafkaSettings settings;
    private final Path stateDir;
    private final Duration closeTimeout;
    /**
     * Built by {@link #start}, once the topics are installed: the replication factor its internal topics get (and
     * their {@code min.insync.replicas}) is the one the installation resolved then. Null before, and after a start
     * that failed before it.
     */
    private volatile KafkaStreams streams;
    /** Set with {@link #streams}: restarts failed stream threads and reports the client's health. */
    private volatile StreamsSupervisor supervisor;
    private volatile boolean closed;
    private final StreamsDeadLetters deadLetters;

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
        this.settings = Objects.requireNonNull(settings, "settings");
        this.applicationId = Objects.requireNonNull(applicationId, "applicationId");
        this.closeTimeout = config.closeTimeout();
        this.stateDir = dataDir.resolve("workflow-engine");
        String source = DurablePublisher.sourceOf("workflow-engine");
        this.topology = new WorkflowEngineTopology(settings.topics(), new WorkflowMachine(), source,
                config.retention()).build();
        this.deadLetters = new StreamsDeadLetters(settings.topics().deadLetters().name(), CONSUMER, source);
    }

    /** {@code <topic prefix>-workflow-engine}: installations sharing a cluster keep separate engines. */
    public static String defaultApplicationId(KafkaSettings settings) {
        return settings.topics().prefix() + "-workflow-engine";
    }

    /**
     * The Streams configuration used: exactly-once v2, the dead-letter handlers, the settings' security extras, one
     * stream thread.
     */
    static Properties config(KafkaSettings settings, String applicationId, Path stateDir,
                             StreamsDeadLetters deadLetters) {
        Properties p = settings.streams(applicationId, "workflow-engine", stateDir, deadLetters);
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1);
        return p;
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
        if (streams != null || closed) {
            throw new IllegalStateException("workflow engine " + applicationId + " was already started (or closed)");
        }
        // The engine may be the first process on a fresh cluster: its topics must exist before its sources start.
        short replicationFactor;
        try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(settings.admin())) {
            replicationFactor = ai.aegis.topology.admin.TopicInstaller.ensure(admin, settings.topics().all(),
                    settings.replicationFactor(), timeout);
        } catch (RuntimeException e) {
            close();
            throw new IllegalStateException("workflow engine " + applicationId + " cannot start: " + e.getMessage(),
                    e);
        }
        KafkaStreams streams = new KafkaStreams(topology, config(settings.withReplicationFactor(replicationFactor),
                applicationId, stateDir, deadLetters));
        this.supervisor = new StreamsSupervisor("workflow engine " + applicationId, streams, RestartBudget.defaults(),
                deadLetters);
        this.streams = streams;
        CountDownLatch running = new CountDownLatch(1);
        streams.setStateListener((next, previous) -> {
            if (next == KafkaStreams.State.RUNNING) {
                running.countDown();
            }
            if (next == KafkaStreams.State.ERROR) {
                LOG.log(System.Logger.Level.ERROR, "workflow engine " + applicationId + " stopped on an error");
                onFailure.run();
            }
        });
        streams.start();
        boolean ok;
        try {
            ok = running.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            ok = false;
        }
        if (!ok) {
            KafkaStreams.State state = streams.state();
            close();
            throw new IllegalStateException("workflow engine " + applicationId + " not running after "
                    + timeout.toMillis() + " ms (state " + state + ")");
        }
        return this;
    }

    /** {@code CREATED} before {@link #start}, {@code NOT_RUNNING} once closed before its Streams client existed. */
    public KafkaStreams.State state() {
        KafkaStreams s = streams;
        if (s == null) {
            return closed ? KafkaStreams.State.NOT_RUNNING : KafkaStreams.State.CREATED;
        }
        return s.state();
    }

    /**
     * False before the start and once the Streams client stopped on an error (a stream thread failed more often than
     * the restart budget allows): a process running only the engine should exit.
     */
    public boolean healthy() {
        StreamsSupervisor s = supervisor;
        return s != null && s.healthy();
    }

    /** For readiness: the client's state, thread restarts and dead letters ({@code loading} before the start). */
    public ComponentHealth health() {
        StreamsSupervisor s = supervisor;
        if (s == null) {
            return new ComponentHealth(closed ? HealthState.DOWN : HealthState.LOADING,
                    Map.of("streams", state().name().toLowerCase(Locale.ROOT)));
        }
        return s.health();
    }

    /** Records the engine could not read, process or write, dead-lettered since it started. */
    public long deadLettersWritten() {
        return deadLetters.written();
    }

    public String applicationId() {
        return applicationId;
    }

    @Override
    public void close() {
        this.closed = true;
        KafkaStreams streams = this.streams;
        if (streams == null) {
            return;
        }
        boolean closed = streams.close(CloseOptions.groupMembershipOperation(
                CloseOptions.GroupMembershipOperation.LEAVE_GROUP).withTimeout(closeTimeout));
        if (!closed) {
            LOG.log(System.Logger.Level.WARNING, "workflow engine " + applicationId + " did not close within "
                    + closeTimeout.toMillis() + " ms");
        }
    }
}
