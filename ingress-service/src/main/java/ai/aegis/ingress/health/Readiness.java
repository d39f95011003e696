package ai.aegis.ingress.health;

import ai.aegis.topology.health.ComponentHealth;
import ai.aegis.topology.health.HealthCheck;
import ai.aegis.topology.health.HealthState;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Whether this process may take traffic: every component of it (Kafka, each tail, the services composed into the
 * process) asked at once, each named with its state. Ready only when all are {@code up}.
 */
public final class Readiness {

    private final Map<String, HealthCheck> components;
    private final java.util.List<String> warnings;

    /** @param components by name, in the order they are shown */
    public Readiness(Map<String, HealthCheck> components) {
        this(components, java.util.List.of());
    }

    /** @param warnings shown in every report (e.g. that authentication is off); they do not make it not ready */
    public Readiness(Map<String, HealthCheck> components, java.util.List<String> warnings) {
        this.components = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(components));
        this.warnings = java.util.List.copyOf(warnings);
    }

    /**
     * @param ready true when every component is up
     * @param body  {@code {"status": "ready"|"not_ready", "components": {name: {"state": ..., ...}}}}
     */
    public record Report(boolean ready, Map<String, Object> body) {
    }

    public Report report() {
        boolean ready = true;
        Map<String, Object> json = new LinkedHashMap<>();
        for (Map.Entry<String, ComponentHealth> c : states().entrySet()) {
            ready &= c.getValue().isUp();
            json.put(c.getKey(), c.getValue().toJson());
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", ready ? "ready" : "not_ready");
        body.put("components", json);
        if (!warnings.isEmpty()) {
            body.put("warnings", warnings);
        }
        return new Report(ready, body);
    }

    /** Every component's health now, by name (for the report and the metrics). */
    public Map<String, ComponentHealth> states() {
        Map<String, ComponentHealth> states = new LinkedHashMap<>();
        components.forEach((name, check) -> states.put(name, ask(check)));
        return states;
    }

    /** A check that throws reports its component down rather than failing the probe. */
    private static ComponentHealth ask(HealthCheck check) {
        try {
            return Objects.requireNonNull(check.health(), "health");
        } catch (RuntimeException e) {
            return new ComponentHealth(HealthState.DOWN, Map.of("error", e.getClass().getSimpleName()));
        }
    }
}
