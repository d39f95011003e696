package ai.aegis.topology.kafka;

import ai.aegis.topology.admin.TopicInstaller;
import ai.aegis.topology.deadletter.StreamsDeadLetters;
import ai.aegis.topology.health.ComponentHealth;
import ai.aegis.topology.health.HealthState;
import ai.aegis.topology.health.RestartBudget;
import org.apache.kafka.clients.admin.Admin;
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
 * One Kafka Streams application of this process, started and stopped the same way whatever its topology (the
 * workflow engine, the stimulus stages): exactly-once v2 and the dead-letter handlers
 * ({@link KafkaSettings#streams}), one stream thread, RocksDB state under its own directory, a
 * {@link StreamsSupervisor} that replaces failed stream threads within a budget and reports health.
 *
 * <p>Lifecycle: {@link #start} installs the missing topics (it may be the first process on a fresh cluster) and
 * returns once the instance is {@code RUNNING}, or fails within the bound; {@link #close()} leaves the consumer
 * group so the partitions move at once instead of after the session timeout, and gives up after the close timeout.
 */
public final class StreamsApp implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(StreamsApp.class.getName());

    private final String name;
    private final Topology topology;
    private final KafkaSettings settings;
    private final String applicationId;
    private final String clientName;
    private final Path stateDir;
    private final StreamsDeadLetters deadLetters;
    private final Duration closeTimeout;
    private final Map<String, Object> overrides;
    /** Built by {@link #start}, once the topics are installed; null before, and after a start that failed first. */
    private volatile KafkaStreams streams;
    private volatile StreamsSupervisor supervisor;
    private volatile boolean closed;

    /**
     * @param name          how logs and errors name it, e.g. "workflow engine"
     * @param applicationId the Kafka Streams application id: group id, prefix of internal topics
     * @param clientName    the client id's suffix and the state's subdirectory name, e.g. "workflow-engine"
     * @param stateDir      where its RocksDB state lives
     */
    public StreamsApp(String name, Topology topology, KafkaSettings settings, String applicationId, String clientName,
                      Path stateDir, StreamsDeadLetters deadLetters, Duration closeTimeout) {
        this(name, topology, settings, applicationId, clientName, stateDir, deadLetters, closeTimeout, Map.of());
    }

    /** @param overrides Streams settings that replace the common ones for this application (e.g. its commit interval) */
    public StreamsApp(String name, Topology topology, KafkaSettings settings, String applicationId, String clientName,
                      Path stateDir, StreamsDeadLetters deadLetters, Duration closeTimeout,
                      Map<String, Object> overrides) {
        this.overrides = Map.copyOf(overrides);
        this.name = Objects.requireNonNull(name, "name");
        this.topology = Objects.requireNonNull(topology, "topology");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.applicationId = Objects.requireNonNull(applicationId, "applicationId");
        this.clientName = Objects.requireNonNull(clientName, "clientName");
        this.stateDir = Objects.requireNonNull(stateDir, "stateDir");
        this.deadLetters = Objects.requireNonNull(deadLetters, "deadLetters");
        this.closeTimeout = Objects.requireNonNull(closeTimeout, "closeTimeout");
    }

    /** The Streams configuration used: exactly-once v2, the dead-letter handlers, the security extras, one thread. */
    public static Properties config(KafkaSettings settings, String applicationId, String clientName, Path stateDir,
                                    StreamsDeadLetters deadLetters) {
        Properties p = settings.streams(applicationId, clientName, stateDir, deadLetters);
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1);
        return p;
    }

    /**
     * Starts, and calls {@code onFailure} (on the Streams client's thread, once) if it later stops on an error.
     *
     * @throws IllegalStateException when it is not running within {@code timeout} (the instance is then closed)
     */
    public void start(Duration timeout, Runnable onFailure) {
        if (streams != null || closed) {
            throw new IllegalStateException(name + " " + applicationId + " was already started (or closed)");
        }
        short replicationFactor;
        try (Admin admin = Admin.create(settings.admin())) {
            replicationFactor = TopicInstaller.ensure(admin, settings.topics().all(), settings.replicationFactor(),
                    timeout);
        } catch (RuntimeException e) {
            close();
            throw new IllegalStateException(name + " " + applicationId + " cannot start: " + e.getMessage(), e);
        }
        Properties properties = config(settings.withReplicationFactor(replicationFactor), applicationId, clientName,
                stateDir, deadLetters);
        properties.putAll(overrides);
        KafkaStreams created = new KafkaStreams(topology, properties);
        this.supervisor = new StreamsSupervisor(name + " " + applicationId, created, RestartBudget.defaults(),
                deadLetters);
        this.streams = created;
        CountDownLatch running = new CountDownLatch(1);
        created.setStateListener((next, previous) -> {
            if (next == KafkaStreams.State.RUNNING) {
                running.countDown();
            }
            if (next == KafkaStreams.State.ERROR) {
                LOG.log(System.Logger.Level.ERROR, name + " " + applicationId + " stopped on an error");
                onFailure.run();
            }
        });
        created.start();
        boolean ok;
        try {
            ok = running.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            ok = false;
        }
        if (!ok) {
            KafkaStreams.State state = created.state();
            close();
            throw new IllegalStateException(name + " " + applicationId + " not running after " + timeout.toMillis()
                    + " ms (state " + state + ")");
        }
    }

    /** {@code CREATED} before {@link #start}, {@code NOT_RUNNING} once closed before its Streams client existed. */
    public KafkaStreams.State state() {
        KafkaStreams s = streams;
        if (s == null) {
            return closed ? KafkaStreams.State.NOT_RUNNING : KafkaStreams.State.CREATED;
        }
        return s.state();
    }

    /** False before the start and once the Streams client stopped on an error (past the restart budget). */
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

    /** Records it could not read, process or write, dead-lettered since it started. */
    public long deadLettersWritten() {
        return deadLetters.written();
    }

    public String applicationId() {
        return applicationId;
    }

    @Override
    public void close() {
        this.closed = true;
        KafkaStreams s = this.streams;
        if (s == null) {
            return;
        }
        boolean done = s.close(CloseOptions.groupMembershipOperation(
                CloseOptions.GroupMembershipOperation.LEAVE_GROUP).withTimeout(closeTimeout));
        if (!done) {
            LOG.log(System.Logger.Level.WARNING, name + " " + applicationId + " did not close within "
                    + closeTimeout.toMillis() + " ms");
        }
    }
}
