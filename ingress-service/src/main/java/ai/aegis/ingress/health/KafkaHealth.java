package ai.aegis.ingress.health;

import ai.aegis.topology.health.ComponentHealth;
import ai.aegis.topology.health.HealthCheck;
import org.apache.kafka.clients.admin.Admin;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Whether Kafka answers, asked at most once per {@code cacheFor} so that probes hitting every node often do not
 * hammer the cluster.
 */
public final class KafkaHealth implements HealthCheck {

    private final Admin admin;
    private final Duration timeout;
    private final Duration cacheFor;
    private volatile long checkedAt;
    private volatile boolean up;

    public KafkaHealth(Admin admin, Duration timeout, Duration cacheFor) {
        this.admin = admin;
        this.timeout = timeout;
        this.cacheFor = cacheFor;
    }

    /** {@code kafka}'s state in readiness: up when the cluster answered (at most {@code cacheFor} ago). */
    @Override
    public ComponentHealth health() {
        return ComponentHealth.of(up());
    }

    public boolean up() {
        long now = System.nanoTime();
        if (checkedAt != 0 && now - checkedAt < cacheFor.toNanos()) {
            return up;
        }
        synchronized (this) {
            if (checkedAt != 0 && System.nanoTime() - checkedAt < cacheFor.toNanos()) {
                return up;
            }
            boolean ok;
            try {
                admin.describeCluster().nodes().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                ok = true;
            } catch (Exception e) {
                ok = false;
            }
            up = ok;
            checkedAt = System.nanoTime();
            return ok;
        }
    }
}
