package ai.aegis.worker.llm;

import ai.aegis.schemas.json.Json;
import ai.aegis.worker.llm.scripted.ScriptStep;
import ai.aegis.worker.llm.scripted.ScriptedProvider;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * Model aliases ({@code default}, {@code smart}, {@code judge}, ...) and the provider model each one stands for.
 * Agents name aliases, never providers, so an operator can swap the model behind an alias without touching agents.
 */
public final class ModelRegistry {

    public static final String DEFAULT_ALIAS = "default";
    public static final String EXAMPLE_PROVIDER = "scripted-example";
    public static final String EXAMPLE_SCRIPT = "example";

    private final Map<String, ResolvedModel> models;
    private final List<String> shadowed;
    private final boolean example;

    /**
     * @param models in declaration order; when two declare the same alias the first wins (the reference's
     *               behaviour without a selection strategy) and {@link #describe()} reports the loser
     */
    public ModelRegistry(List<ResolvedModel> models) {
        this(models, false);
    }

    private ModelRegistry(List<ResolvedModel> models, boolean example) {
        Map<String, ResolvedModel> byAlias = new LinkedHashMap<>();
        List<String> losers = new ArrayList<>();
        for (ResolvedModel model : models) {
            Objects.requireNonNull(model.alias(), "alias");
            ResolvedModel winner = byAlias.putIfAbsent(model.alias(), model);
            if (winner != null) {
                losers.add(model.alias() + " of provider " + model.provider().name() + " (shadowed by "
                        + winner.provider().name() + ")");
            }
        }
        this.models = Collections.unmodifiableMap(byAlias);
        this.shadowed = List.copyOf(losers);
        this.example = example;
    }

    /**
     * The registry used when nothing is configured: alias {@code default} is a scripted model that runs one command
     * in the sandbox and reports its output, so a fresh install shows the whole loop working without any key.
     */
    public static ModelRegistry scriptedExample() {
        // a plain command: the shipped `default` security context refuses command substitution
        ObjectNode arguments = Json.MAPPER.createObjectNode().put("command", "uname -sr");
        ScriptedProvider provider = new ScriptedProvider(EXAMPLE_PROVIDER, Map.of(EXAMPLE_SCRIPT, List.of(
                ScriptStep.toolCall("cmd.run", arguments),
                ScriptStep.reply("The sandbox says: Hello from the Aegis sandbox: {{last_tool_stdout}}"))));
        return new ModelRegistry(List.of(new ResolvedModel(DEFAULT_ALIAS, provider, EXAMPLE_SCRIPT)), true);
    }

    /**
     * Reads the {@code aegis.llm} configuration node (see {@link LlmConfigReader}); API keys come from the process
     * environment.
     *
     * @throws LlmConfigException when the configuration cannot be used
     */
    public static ModelRegistry fromConfig(io.helidon.config.Config llm) {
        return LlmConfigReader.read(llm, System::getenv);
    }

    /**
     * @param alias the model alias; null or blank means {@code default}
     * @throws LlmException (not retryable) naming the configured aliases when the alias is unknown
     */
    public ResolvedModel resolve(String alias) throws LlmException {
        String key = alias == null || alias.isBlank() ? DEFAULT_ALIAS : alias;
        ResolvedModel model = models.get(key);
        if (model == null) {
            throw new LlmException("unknown model alias '" + key + "' (configured: "
                    + (models.isEmpty() ? "none" : String.join(", ", models.keySet())) + ")");
        }
        return model;
    }

    /** Every alias with the model it resolves to, in declaration order. */
    public Map<String, ResolvedModel> models() {
        return models;
    }

    /** True when no provider was configured and the built-in scripted example serves {@code default}. */
    public boolean usesScriptedExample() {
        return example;
    }

    /** One line for the start-up log: which providers and aliases are in use. Never contains keys. */
    public String describe() {
        if (example) {
            return "no LLM provider configured: using the scripted example model for alias '" + DEFAULT_ALIAS
                    + "' (it runs one command in the sandbox); set AEGIS_LLM_OPENAI_BASE_URL and AEGIS_LLM_OPENAI_MODEL"
                    + " (and AEGIS_LLM_OPENAI_API_KEY=env:VAR if the server needs a key) to use a real model";
        }
        if (models.isEmpty()) {
            return "no LLM model aliases configured";
        }
        String aliases = models.values().stream()
                .map(m -> m.alias() + " -> " + m.provider().name() + " (" + m.provider().type() + ") model "
                        + m.model())
                .collect(Collectors.joining(", "));
        return "LLM models: " + aliases + (shadowed.isEmpty() ? "" : "; ignored duplicate aliases: "
                + String.join(", ", shadowed));
    }
}
