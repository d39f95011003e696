package ai.aegis.topology.kafka;

import ai.aegis.topology.deadletter.StreamsDeadLetters;
import ai.aegis.topology.health.ComponentHealth;
import ai.aegis.topology.health.HealthCheck;
import ai.aegis.topology.health.HealthState;
import ai.aegis.topology.health.RestartBudget;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Keeps a Kafka Streams client running and says how it is. Records it cannot read, process or write do not reach
 * here: its exception handlers dead-letter them ({@link StreamsDeadLetters}). What does reach here is a stream thread
 * that died of anything else; it is replaced while the {@link RestartBudget} allows, after which the client shuts
 * down, its state turns {@code ERROR} and {@link #health()} reports it {@code down}: a fault that outlives a few
 * restarts is reported rather than retried in a loop.
 */
public final class StreamsSupervisor implements HealthCheck {

    private static final System.Logger LOG = System.getLogger(StreamsSupervisor.class.getName());

    private final String name;
    private final KafkaStreams streams;
    private final RestartBudget budget;
    private final StreamsDeadLetters deadLetters;

    /**
     * Installs itself as the client's uncaught exception handler; call before {@link KafkaStreams#start()}.
     *
     * @param name what the logs call the client ({@code workflow engine aegis-workflow-engine})
     */
    public StreamsSupervisor(String name, KafkaStreams streams, RestartBudget budget, StreamsDeadLetters deadLetters) {
        this.name = Objects.requireNonNull(name, "name");
        this.streams = Objects.requireNonNull(streams, "streams");
        this.budget = Objects.requireNonNull(budget, "budget");
        this.deadLetters = Objects.requireNonNull(deadLetters, "deadLetters");
        streams.setUncaughtExceptionHandler(e -> {
            if (budget.tryRestart(System.nanoTime())) {
                LOG.log(System.Logger.Level.ERROR, name + ": a stream thread failed; replacing it (restart "
                        + budget.restarts() + ")", e);
                return StreamThreadExceptionResponse.REPLACE_THREAD;
            }
            // Nothing is lost: the open transaction is aborted, and a restarted client processes the inputs again
            // from the last committed state.
            LOG.log(System.Logger.Level.ERROR, name + ": a stream thread failed again after "
                    + budget.restarts() + " restarts; shutting the client down", e);
            return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
    }

    /** Running, or rebalancing (routine when instances come and go): not failed, stopped or still starting. */
    public boolean healthy() {
        KafkaStreams.State state = streams.state();
        return state == KafkaStreams.State.RUNNING || state == KafkaStreams.State.REBALANCING;
    }

    /** {@code up} when {@link #healthy()}, {@code loading} before its first start, else {@code down}. */
    @Override
    public ComponentHealth health() {
        KafkaStreams.State state = streams.state();
        HealthState h = healthy() ? HealthState.UP
                : state == KafkaStreams.State.CREATED ? HealthState.LOADING : HealthState.DOWN;
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("streams", state.name().toLowerCase(Locale.ROOT));
        details.put("thread_restarts", budget.restarts());
        details.put("dead_letters", deadLetters.written());
        return new ComponentHealth(h, details);
    }

    public String name() {
        return name;
    }
}
