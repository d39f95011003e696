package ai.aegis.topology.health;

/**
 * Asks one component how it is: a Kafka Streams client, a tail, a consumer loop. Called by readiness probes on HTTP
 * threads, so it must answer at once from what the component already knows (no network round trip).
 */
@FunctionalInterface
public interface HealthCheck {

    ComponentHealth health();
}
