package ai.aegis.worker.execution;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Decides which of a manifest's environment variables reach the sandbox. The worker's own
 * environment never does: a sandbox starts from an empty environment plus these and the {@code AEGIS_*} variables
 * the worker sets itself. Names that would reconfigure the sandbox's system or that look like infrastructure
 * credentials are dropped, with a warning.
 */
public final class EnvGuard {

    static final List<String> BLOCKED_PREFIXES = List.of("DATABASE_", "DB_", "POSTGRES", "REDIS_", "OPENBAO_",
            "VAULT_", "SEAWEEDFS_", "KEYCLOAK_", "OIDC_", "OAUTH_", "JWT_SECRET", "HMAC_", "NFS_", "GRPC_", "OTEL_",
            "OTLP_", "CARGO", "RUSTUP", "RUST_LOG", "RUST_BACKTRACE", "AEGIS_", "KAFKA_", "DOCKER_", "LD_",
            "JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS");
    static final Set<String> BLOCKED_NAMES = Set.of("HOME", "PATH", "USER", "SHELL", "HOSTNAME", "LANG", "LC_ALL",
            "TERM", "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "BASH_ENV", "ENV", "IFS");

    private EnvGuard() {
    }

    /** The allowed variables and the names that were dropped. */
    public record Filtered(Map<String, String> allowed, List<String> dropped) {
    }

    public static Filtered filter(Map<String, String> manifestEnv) {
        Map<String, String> allowed = new LinkedHashMap<>();
        List<String> dropped = new java.util.ArrayList<>();
        manifestEnv.forEach((name, value) -> {
            if (blocked(name)) {
                dropped.add(name);
            } else {
                allowed.put(name, value);
            }
        });
        return new Filtered(allowed, List.copyOf(dropped));
    }

    static boolean blocked(String name) {
        String upper = name.toUpperCase(Locale.ROOT);
        return BLOCKED_NAMES.contains(upper) || BLOCKED_PREFIXES.stream().anyMatch(upper::startsWith);
    }
}
