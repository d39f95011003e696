package ai.aegis.worker.llm;

import java.util.List;

/**
 * @param model       the provider's model name (the alias already resolved)
 * @param maxTokens   upper bound on generated tokens
 * @param temperature sampling temperature
 */
public record LlmRequest(String model, List<ChatMessage> messages, List<ToolSchema> tools, int maxTokens,
                         double temperature) {

    public static final int DEFAULT_MAX_TOKENS = 4096;
    public static final double DEFAULT_TEMPERATURE = 0.7;

    public LlmRequest(String model, List<ChatMessage> messages, List<ToolSchema> tools) {
        this(model, messages, tools, DEFAULT_MAX_TOKENS, DEFAULT_TEMPERATURE);
    }
}
