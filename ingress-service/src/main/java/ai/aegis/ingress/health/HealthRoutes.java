package ai.aegis.ingress.health;

import ai.aegis.http.Api;
import io.helidon.webserver.http.HttpRouting;

import java.util.Map;

/**
 * {@code /health} (liveness: the process answers), {@code /health/ready} (readiness: every component up, each named
 * with its state) and {@code /metrics} (Prometheus). Liveness and readiness reveal only states, so they need no token:
 * a Kubernetes probe can ask them; {@code /metrics} is served where the ingress's configuration says (behind the token
 * on the public port, or open on the management port).
 */
public final class HealthRoutes {

    /** The paths that need no token wherever they are served. */
    public static final java.util.Set<String> OPEN_PATHS = java.util.Set.of("/health", "/health/ready");

    private HealthRoutes() {
    }

    /** Liveness and readiness. */
    public static void installProbes(HttpRouting.Builder routing, Readiness readiness) {
        routing.get("/health", (req, res) -> Api.ok(res, Map.of("status", "ok")));
        routing.get("/health/ready", (req, res) -> {
            Readiness.Report report = readiness.report();
            Api.json(res, report.ready() ? 200 : 503, report.body());
        });
    }

    public static void installMetrics(HttpRouting.Builder routing, Metrics metrics) {
        routing.get("/metrics", (req, res) -> {
            res.header(io.helidon.http.HeaderNames.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
            res.send(metrics.render());
        });
    }
}
