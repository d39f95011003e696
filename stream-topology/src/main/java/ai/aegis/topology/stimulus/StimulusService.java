package ai.aegis.topology.stimulus;

import ai.aegis.topology.deadletter.StreamsDeadLetters;
import ai.aegis.topology.health.ComponentHealth;
import ai.aegis.topology.health.HealthState;
import ai.aegis.topology.kafka.DurablePublisher;
import ai.aegis.topology.kafka.KafkaSettings;
import ai.aegis.topology.kafka.StreamsApp;
import org.apache.kafka.streams.Topology;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs the stimulus stages in this process, each a Kafka Streams application of its own ({@link StreamsApp}):
 * deduplication ({@link StimulusDedupTopology}: requests -> accepted, duplicates answered) and routing
 * ({@link StimulusRoutingTopology}: accepted -> a workflow run, the answer and the outcome). Several processes with
 * the same topic prefix share the work by partition; state lives under {@code <dataDir>/stimulus-dedup} and
 * {@code <dataDir>/stimulus-routing}.
 */
public final class StimulusService implements AutoCloseable {

    private final StreamsApp dedup;
    private final StreamsApp routing;

    /**
     * @param dataDir where the stages keep their state (a directory of each)
     * @param config  the deduplication window and its timers, the stages' commit interval
     */
    public StimulusService(KafkaSettings settings, Path dataDir, StimulusConfig config, Duration closeTimeout) {
        String source = DurablePublisher.sourceOf("stimulus");
        String deadLetterTopic = settings.topics().deadLetters().name();
        Topology dedupTopology = StimulusDedupTopology.build(settings.topics(), source, config);
        this.dedup = new StreamsApp("stimulus deduplication", dedupTopology,
                settings.withClientId(clientId(settings) + "-stimulus-dedup"),
                StimulusDedupTopology.applicationId(settings.topics()), "stimulus-dedup",
                dataDir.resolve("stimulus-dedup"),
                new StreamsDeadLetters(deadLetterTopic, StimulusDedupTopology.CONSUMER, source), closeTimeout,
                commitInterval(config));
        Topology routingTopology = StimulusRoutingTopology.build(settings.topics(), source, Clock.systemUTC());
        this.routing = new StreamsApp("stimulus routing", routingTopology,
                settings.withClientId(clientId(settings) + "-stimulus-routing"),
                StimulusRoutingTopology.applicationId(settings.topics()), "stimulus-routing",
                dataDir.resolve("stimulus-routing"),
                new StreamsDeadLetters(deadLetterTopic, StimulusRoutingTopology.CONSUMER, source), closeTimeout,
                commitInterval(config));
    }

    /**
     * Starts both stages and waits until they run.
     *
     * @param onFailure called (once per stage) if a stage later stops on an error
     * @throws IllegalStateException when one is not running within {@code timeout} (both are then closed)
     */
    public StimulusService start(Duration timeout, Runnable onFailure) {
        try {
            dedup.start(timeout, onFailure);
            routing.start(timeout, onFailure);
            return this;
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** Up when both stages are; each stage's health under its name. */
    public ComponentHealth health() {
        Map<String, Object> details = new LinkedHashMap<>();
        boolean up = true;
        boolean loading = false;
        for (var stage : List.of(Map.entry("dedup", dedup), Map.entry("routing", routing))) {
            ComponentHealth h = stage.getValue().health();
            up &= h.isUp();
            loading |= h.state() == HealthState.LOADING;
            details.put(stage.getKey(), h.toJson());
        }
        return new ComponentHealth(up ? HealthState.UP : loading ? HealthState.LOADING : HealthState.DOWN, details);
    }

    /** Records each stage dead-lettered since it started, by consumer name. */
    public Map<String, Long> deadLetters() {
        return Map.of(StimulusDedupTopology.CONSUMER, dedup.deadLettersWritten(),
                StimulusRoutingTopology.CONSUMER, routing.deadLettersWritten());
    }

    /** A caller waits for both stages' commits: they commit more often than Kafka Streams' exactly-once default. */
    private static Map<String, Object> commitInterval(StimulusConfig config) {
        return Map.of(org.apache.kafka.streams.StreamsConfig.COMMIT_INTERVAL_MS_CONFIG,
                config.commitInterval().toMillis());
    }

    private static String clientId(KafkaSettings settings) {
        return settings.clientId() == null ? "aegis" : settings.clientId();
    }

    @Override
    public void close() {
        routing.close();
        dedup.close();
    }
}
