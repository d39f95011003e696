package ai.aegis.worker.llm;

/** A model alias resolved to the provider that serves it and the provider's own model name. */
public record ResolvedModel(String alias, LlmProvider provider, String model) {
}
