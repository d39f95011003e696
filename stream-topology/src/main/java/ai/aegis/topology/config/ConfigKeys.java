package ai.aegis.topology.config;

import io.helidon.config.Config;

import java.util.Optional;

/**
 * Dashed keys however they were written. Helidon maps {@code AEGIS_LLM_OPENAI_BASE_URL} to
 * {@code aegis.llm.openai.base.url} (every underscore a dot), so a dashed key of a file ({@code base-url}) has a
 * dotted twin from the environment; the twin wins, as the environment overrides files.
 */
public final class ConfigKeys {

    private ConfigKeys() {
    }

    /** The dotted twin of a dashed key when it exists, else the dashed key. */
    public static Config key(Config node, String dashed) {
        if (dashed.contains("-")) {
            Config fromEnvironment = node.get(dashed.replace('-', '.'));
            if (fromEnvironment.exists()) {
                return fromEnvironment;
            }
        }
        return node.get(dashed);
    }

    /** The key's value, stripped; empty when absent, blank or not a single value. */
    public static Optional<String> string(Config node, String dashed) {
        Config value = key(node, dashed);
        return value.isLeaf() ? value.asString().asOptional().map(String::strip).filter(s -> !s.isEmpty())
                : Optional.empty();
    }
}
