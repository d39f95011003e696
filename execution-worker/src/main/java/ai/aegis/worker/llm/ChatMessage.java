package ai.aegis.worker.llm;

import java.util.List;

/**
 * One message of a conversation, in the dispatch protocol's form ({@code ConversationMessage}).
 *
 * @param role       system | user | assistant | tool
 * @param toolCallId for role {@code tool}: the call this message answers
 * @param toolCalls  for role {@code assistant}: the tools the model asked for, else null
 */
public record ChatMessage(String role, String content, String toolCallId, List<ToolCallRequest> toolCalls) {

    public static ChatMessage system(String content) {
        return new ChatMessage("system", content, null, null);
    }

    public static ChatMessage user(String content) {
        return new ChatMessage("user", content, null, null);
    }

    public static ChatMessage assistant(String content) {
        return new ChatMessage("assistant", content, null, null);
    }

    public static ChatMessage assistantToolCalls(String content, List<ToolCallRequest> calls) {
        return new ChatMessage("assistant", content, null, List.copyOf(calls));
    }

    public static ChatMessage tool(String toolCallId, String content) {
        return new ChatMessage("tool", content, toolCallId, null);
    }
}
