package ai.aegis.ingress.health;

import ai.aegis.ingress.http.Api;
import io.helidon.webserver.http.HttpRouting;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BooleanSupplier;

/** {@code /health} (liveness), {@code /health/ready} (Kafka reachable, views loaded) and {@code /metrics}. */
public final class HealthRoutes {

    private HealthRoutes() {
    }

    public static void install(HttpRouting.Builder routing, KafkaHealth kafka, BooleanSupplier viewsLoaded,
                               Metrics metrics) {
        routing.get("/health", (req, res) -> Api.ok(res, Map.of("status", "ok")));
        routing.get("/health/ready", (req, res) -> {
            boolean kafkaUp = kafka.up();
            boolean loaded = viewsLoaded.getAsBoolean();
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("status", kafkaUp && loaded ? "ready" : "not_ready");
            body.put("kafka", kafkaUp ? "up" : "down");
            body.put("views", loaded ? "loaded" : "loading");
            Api.json(res, kafkaUp && loaded ? 200 : 503, body);
        });
        routing.get("/metrics", (req, res) -> {
            res.header(io.helidon.http.HeaderNames.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
            res.send(metrics.render());
        });
    }
}
