package ai.aegis.worker.llm;

import java.util.List;

/**
 * What the model answered: final text, or tool calls (then {@code content} may hold accompanying text).
 *
 * @param model        the model that answered, as the provider reports it
 * @param inputTokens  prompt tokens, null when unknown
 * @param outputTokens completion tokens, null when unknown
 */
public record LlmResponse(String content, List<ToolCallRequest> toolCalls, String model, Integer inputTokens,
                          Integer outputTokens, String finishReason) {

    public boolean hasToolCalls() {
        return toolCalls != null && !toolCalls.isEmpty();
    }
}
