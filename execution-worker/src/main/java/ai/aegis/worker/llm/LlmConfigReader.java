package ai.aegis.worker.llm;

import ai.aegis.schemas.json.Json;
import ai.aegis.topology.config.ConfigKeys;
import ai.aegis.worker.llm.openai.OpenAiProvider;
import ai.aegis.worker.llm.scripted.ScriptedProvider;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.helidon.config.Config;
import io.helidon.config.ConfigException;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * The one place that knows Helidon config: turns the {@code aegis.llm} node into a {@link ModelRegistry}.
 * <pre>
 * aegis.llm:
 *   allow-literal-api-keys: false      # literal keys refused unless true (here or per provider)
 *   providers: [{name, type: openai|openai-compatible|scripted, enabled, endpoint, api-key: env:VAR,
 *                timeout-seconds, max-retries, retry-delay-ms, models: [{alias, model}], scripts: {...}}]
 *   openai: {base-url, api-key, model}  # shortcut: provider "openai" serving alias "default"
 * </pre>
 * Helidon maps the environment variable {@code AEGIS_LLM_OPENAI_BASE_URL} to {@code aegis.llm.openai.base.url}
 * (every underscore becomes a dot; only {@code _dash_} becomes a dash), so every dashed key is also read in its
 * dotted form (and wins over the dashed one): the three documented variables work without the {@code _dash_}
 * spelling.
 */
public final class LlmConfigReader {

    private LlmConfigReader() {
    }

    /**
     * @param llm the {@code aegis.llm} node (may be missing)
     * @param env environment lookup for {@code env:VAR} key references
     * @throws LlmConfigException when the configuration cannot be used
     */
    public static ModelRegistry read(Config llm, Function<String, String> env) {
        boolean allowLiterals = bool(llm, "allow-literal-api-keys").orElse(false);
        List<ResolvedModel> models = new ArrayList<>();
        Set<String> names = new HashSet<>();

        Config shortcut = llm.get("openai");
        Optional<String> baseUrl = string(shortcut, "base-url");
        if (baseUrl.isPresent()) {
            String model = string(shortcut, "model").orElseThrow(() -> new LlmConfigException(
                    "aegis.llm.openai.model (env AEGIS_LLM_OPENAI_MODEL) is required when base-url is set"));
            // Declared first so that the environment shortcut wins over a configured 'default' alias.
            LlmProvider provider = openAi("openai", shortcut, baseUrl.get(), allowLiterals, env);
            names.add(provider.name());
            models.add(new ResolvedModel(ModelRegistry.DEFAULT_ALIAS, provider, model));
        }

        List<Config> providers = llm.get("providers").asNodeList().orElse(List.of());
        for (int i = 0; i < providers.size(); i++) {
            Config node = providers.get(i);
            String where = "aegis.llm.providers[" + i + "]";
            String name = string(node, "name").orElseThrow(() -> new LlmConfigException(where + ": name is required"));
            if (!bool(node, "enabled").orElse(true)) {
                continue;
            }
            if (!names.add(name)) {
                throw new LlmConfigException(where + ": provider name '" + name + "' is used twice");
            }
            String type = string(node, "type").orElseThrow(() -> new LlmConfigException(
                    "provider '" + name + "': type is required (openai or scripted)"));
            LlmProvider provider = switch (type) {
                case OpenAiProvider.TYPE, "openai-compatible" -> openAi(name, node,
                        string(node, "endpoint").orElse(OpenAiProvider.DEFAULT_ENDPOINT),
                        allowLiterals || bool(node, "allow-literal-api-key").orElse(false), env);
                case ScriptedProvider.TYPE -> scripted(name, node);
                default -> throw new LlmConfigException("provider '" + name + "': unknown type '" + type
                        + "' (supported: openai, openai-compatible, scripted)");
            };
            List<Config> declared = node.get("models").asNodeList().orElse(List.of());
            if (declared.isEmpty()) {
                throw new LlmConfigException("provider '" + name + "': models is empty; declare [{alias, model}]");
            }
            for (Config model : declared) {
                String alias = string(model, "alias").orElseThrow(() -> new LlmConfigException(
                        "provider '" + name + "': a model has no alias"));
                String modelName = string(model, "model").orElseThrow(() -> new LlmConfigException(
                        "provider '" + name + "': alias '" + alias + "' has no model"));
                models.add(new ResolvedModel(alias, provider, modelName));
            }
        }
        return models.isEmpty() ? ModelRegistry.scriptedExample() : new ModelRegistry(models);
    }

    private static OpenAiProvider openAi(String name, Config node, String endpoint, boolean allowLiteral,
                                         Function<String, String> env) {
        String where = "provider '" + name + "'";
        String key = ApiKeys.resolve(string(node, "api-key").orElse(null), allowLiteral, env, where);
        Duration timeout = Duration.ofSeconds(integer(node, "timeout-seconds", where)
                .orElse((int) OpenAiProvider.Settings.DEFAULT_TIMEOUT.toSeconds()));
        int retries = integer(node, "max-retries", where).orElse(OpenAiProvider.Settings.DEFAULT_MAX_RETRIES);
        Duration delay = Duration.ofMillis(integer(node, "retry-delay-ms", where)
                .orElse((int) OpenAiProvider.Settings.DEFAULT_RETRY_DELAY.toMillis()));
        try {
            return new OpenAiProvider(new OpenAiProvider.Settings(name, endpoint, key, timeout, retries, delay));
        } catch (IllegalArgumentException e) {
            throw new LlmConfigException(where + ": " + e.getMessage());
        }
    }

    private static ScriptedProvider scripted(String name, Config node) {
        try {
            return ScriptedProvider.fromJson(name, toJson(node.get("scripts")));
        } catch (IllegalArgumentException e) {
            throw new LlmConfigException(e.getMessage());
        }
    }

    /**
     * Copies a config subtree into a JSON tree. Helidon keeps every leaf as a string, so numbers and booleans in
     * script arguments arrive as strings (a script can give {@code arguments} as a JSON string to keep types).
     */
    static JsonNode toJson(Config node) {
        return switch (node.type()) {
            case OBJECT -> {
                ObjectNode object = Json.MAPPER.createObjectNode();
                node.asNodeList().orElse(List.of()).forEach(child -> object.set(child.name(), toJson(child)));
                yield object;
            }
            case LIST -> {
                ArrayNode array = Json.MAPPER.createArrayNode();
                node.asNodeList().orElse(List.of()).forEach(child -> array.add(toJson(child)));
                yield array;
            }
            case VALUE -> TextNode.valueOf(node.asString().get());
            case MISSING -> MissingNode.getInstance();
        };
    }

    private static Optional<String> string(Config node, String key) {
        return ConfigKeys.string(node, key);
    }

    private static Optional<Boolean> bool(Config node, String key) {
        return string(node, key).map(value -> switch (value.toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new LlmConfigException(node.key() + "." + key + " must be true or false");
        });
    }

    private static Optional<Integer> integer(Config node, String key, String where) {
        try {
            return string(node, key).map(Integer::parseInt);
        } catch (NumberFormatException | ConfigException e) {
            throw new LlmConfigException(where + ": " + key + " must be an integer");
        }
    }
}
