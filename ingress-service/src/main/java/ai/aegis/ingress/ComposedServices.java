package ai.aegis.ingress;

import ai.aegis.topology.health.HealthCheck;
import ai.aegis.topology.health.MetricFamily;
import io.helidon.webserver.http.HttpService;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * What the composition root hands the ingress about the other services of its process: their routes (mounted
 * behind the same authentication), their components' health (reported by {@code /health/ready}) and their dead
 * letter counts (in {@code /metrics}). The ingress knows none of those services; it only serves what it is given.
 *
 * @param routes      by path prefix
 * @param health      by component name ({@code worker}, {@code workflow_engine}, {@code tail.approvals-view}, ...)
 * @param deadLetters each a live count of dead letters by consumer, read when the metrics are
 */
public record ComposedServices(Map<String, HttpService> routes, Map<String, HealthCheck> health,
                               List<Supplier<Map<String, Long>>> deadLetters, List<MetricFamily> metrics) {

    public ComposedServices {
        routes = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(routes));
        health = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(health));
        deadLetters = List.copyOf(deadLetters);
        metrics = List.copyOf(metrics);
    }

    /** An ingress on its own. */
    public static ComposedServices none() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public static final class Builder {
        private final Map<String, HttpService> routes = new LinkedHashMap<>();
        private final Map<String, HealthCheck> health = new LinkedHashMap<>();
        private final List<Supplier<Map<String, Long>>> deadLetters = new ArrayList<>();
        private final List<MetricFamily> metrics = new ArrayList<>();

        private Builder() {
        }

        public Builder route(String path, HttpService service) {
            routes.put(path, service);
            return this;
        }

        public Builder health(String component, HealthCheck check) {
            health.put(component, check);
            return this;
        }

        public Builder health(Map<String, HealthCheck> components) {
            health.putAll(components);
            return this;
        }

        public Builder deadLetters(Supplier<Map<String, Long>> counts) {
            deadLetters.add(counts);
            return this;
        }

        /** Metric families the composed services keep, rendered on this process's {@code /metrics}. */
        public Builder metrics(List<MetricFamily> families) {
            metrics.addAll(families);
            return this;
        }

        public ComposedServices build() {
            return new ComposedServices(routes, health, deadLetters, metrics);
        }
    }
}
