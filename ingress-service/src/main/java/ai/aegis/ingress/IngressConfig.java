package ai.aegis.ingress;

import io.helidon.config.Config;

import java.nio.file.Path;
import java.time.Duration;

/**
 * The ingress's settings ({@code aegis.ingress.*} and {@code aegis.auth.*}), with the defaults in one place.
 *
 * @param authMode              {@code local-token} (default) or {@code none} (logs a warning on every start)
 * @param dataDir               where the local API token lives
 * @param maxExecutionsInMemory executions whose history each node keeps for reads and streams
 */
public record IngressConfig(String host, int port, long maxBodyBytes, Duration sseHeartbeat, int sseQueueCapacity,
                            int maxExecutionsInMemory, Duration readYourWrites, String authMode, Path dataDir) {

    public static final String DEFAULT_HOST = "0.0.0.0";
    public static final int DEFAULT_PORT = 8080;
    public static final long DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
    public static final Duration DEFAULT_SSE_HEARTBEAT = Duration.ofSeconds(15);
    public static final int DEFAULT_SSE_QUEUE = 1024;
    public static final int DEFAULT_MAX_EXECUTIONS = 10_000;
    public static final Duration DEFAULT_READ_YOUR_WRITES = Duration.ofSeconds(5);

    public static IngressConfig from(Config aegis, Path dataDir) {
        Config in = aegis.get("ingress");
        return new IngressConfig(
                in.get("host").asString().orElse(DEFAULT_HOST),
                in.get("port").asInt().orElse(DEFAULT_PORT),
                in.get("max-body-bytes").asLong().orElse(DEFAULT_MAX_BODY_BYTES),
                Duration.ofMillis(in.get("sse-heartbeat-ms").asLong().orElse(DEFAULT_SSE_HEARTBEAT.toMillis())),
                in.get("sse-queue-capacity").asInt().orElse(DEFAULT_SSE_QUEUE),
                in.get("max-executions-in-memory").asInt().orElse(DEFAULT_MAX_EXECUTIONS),
                DEFAULT_READ_YOUR_WRITES,
                aegis.get("auth.mode").asString().orElse("local-token"),
                dataDir);
    }

    public IngressConfig withPort(int newPort) {
        return new IngressConfig(host, newPort, maxBodyBytes, sseHeartbeat, sseQueueCapacity, maxExecutionsInMemory,
                readYourWrites, authMode, dataDir);
    }
}
