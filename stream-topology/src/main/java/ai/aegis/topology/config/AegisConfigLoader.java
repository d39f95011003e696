package ai.aegis.topology.config;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Loads configuration for every Aegis process, highest priority first: the command line's options (given as
 * overrides, e.g. {@code --port} as {@code aegis.ingress.port}), system properties, {@code AEGIS_*} environment
 * variables, then the YAML file given with {@code --config} (or {@code AEGIS_CONFIG}). Defaults are not here: each
 * {@code *Config} record holds its own.
 *
 * <p>Environment names map to keys by lower-casing, {@code __} becoming {@code -} and {@code _} becoming {@code .}
 * ({@code AEGIS_KAFKA_BOOTSTRAP__SERVERS} is {@code aegis.kafka.bootstrap-servers}); the common settings also have
 * plain aliases, listed in {@link #ALIASES}.
 */
public final class AegisConfigLoader {

    /** Plain environment names for the settings people set most. */
    public static final Map<String, String> ALIASES = Map.ofEntries(
            Map.entry("AEGIS_DATA_DIR", "aegis.data-dir"),
            Map.entry("AEGIS_KAFKA_BOOTSTRAP_SERVERS", "aegis.kafka.bootstrap-servers"),
            Map.entry("AEGIS_KAFKA_TOPIC_PREFIX", "aegis.kafka.topic-prefix"),
            Map.entry("AEGIS_KAFKA_REPLICATION_FACTOR", "aegis.kafka.replication-factor"),
            Map.entry("AEGIS_INGRESS_PORT", "aegis.ingress.port"),
            Map.entry("AEGIS_INGRESS_HOST", "aegis.ingress.host"),
            Map.entry("AEGIS_AUTH_MODE", "aegis.auth.mode"),
            Map.entry("AEGIS_WORKER_INTERNAL_PORT", "aegis.worker.internal-port"),
            Map.entry("AEGIS_WORKER_CONCURRENCY", "aegis.worker.concurrency"),
            Map.entry("AEGIS_WORKER_ALLOW_UNSAFE_PROCESS_RUNTIME", "aegis.worker.allow-unsafe-process-runtime"),
            Map.entry("AEGIS_LLM_OPENAI_BASE_URL", "aegis.llm.openai.base-url"),
            Map.entry("AEGIS_LLM_OPENAI_API_KEY", "aegis.llm.openai.api-key"),
            Map.entry("AEGIS_LLM_OPENAI_MODEL", "aegis.llm.openai.model"));

    private AegisConfigLoader() {
    }

    public static Config load(Optional<Path> file) {
        return load(file, System.getenv(), Map.of());
    }

    public static Config load(Optional<Path> file, Map<String, String> environment) {
        return load(file, environment, Map.of());
    }

    /** @param overrides keys ({@code aegis.ingress.port}) and values that win over every other source */
    public static Config load(Optional<Path> file, Map<String, String> environment, Map<String, String> overrides) {
        Config.Builder builder = Config.builder()
                .disableEnvironmentVariablesSource()
                .disableSystemPropertiesSource()
                .addSource(ConfigSources.create(overrides))
                .addSource(ConfigSources.systemProperties())
                .addSource(ConfigSources.create(fromEnvironment(environment)));
        Optional<Path> chosen = file.or(() -> Optional.ofNullable(environment.get("AEGIS_CONFIG")).map(Path::of));
        chosen.ifPresent(f -> {
            if (!Files.isReadable(f)) {
                throw new IllegalArgumentException("configuration file " + f + " does not exist or cannot be read");
            }
            builder.addSource(ConfigSources.file(f));
        });
        return builder.build();
    }

    static Map<String, String> fromEnvironment(Map<String, String> environment) {
        Map<String, String> out = new HashMap<>();
        environment.forEach((name, value) -> {
            if (!name.startsWith("AEGIS_") || name.equals("AEGIS_CONFIG")) {
                return;
            }
            out.put(name.toLowerCase(Locale.ROOT).replace("__", "-").replace('_', '.'), value);
        });
        // aliases win over the generic mapping of the same variable
        ALIASES.forEach((name, key) -> {
            String value = environment.get(name);
            if (value != null) {
                out.put(key, value);
            }
        });
        return out;
    }
}
