package ai.aegis.ingress.health;

import ai.aegis.http.Api;
import io.helidon.webserver.http.HttpRouting;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BooleanSupplier;

/** {@code /health} (liveness), {@code /health/ready} (Kafka reachable, views loaded) and {@code /metrics}. */
public final class HealthRoutes {

    private HealthRoutes() {
    }

    /**
     * @param kafkaUp    whether Kafka answers now ({@link KafkaHealth#up()})
     * @param components readiness of services composed into this process (the workflow engine, the approval
     *                   service), by name; each shows as {@code "up"} or {@code "down"} and all must be up
     */
    public static void install(HttpRouting.Builder routing, BooleanSupplier kafkaUp, BooleanSupplier viewsLoaded,
                               Metrics metrics, Map<String, BooleanSupplier> components) {
        routing.get("/health", (req, res) -> Api.ok(res, Map.of("status", "ok")));
        routing.get("/health/ready", (req, res) -> {
            boolean kafka = kafkaUp.getAsBoolean();
            boolean loaded = viewsLoaded.getAsBoolean();
            boolean ready = kafka && loaded;
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("status", "");
            body.put("kafka", kafka ? "up" : "down");
            body.put("views", loaded ? "loaded" : "loading");
            for (Map.Entry<String, BooleanSupplier> c : new java.util.TreeMap<>(components).entrySet()) {
                boolean up = c.getValue().getAsBoolean();
                body.put(c.getKey(), up ? "up" : "down");
                ready &= up;
            }
            body.put("status", ready ? "ready" : "not_ready");
            Api.json(res, ready ? 200 : 503, body);
        });
        routing.get("/metrics", (req, res) -> {
            res.header(io.helidon.http.HeaderNames.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
            res.send(metrics.render());
        });
    }
}
