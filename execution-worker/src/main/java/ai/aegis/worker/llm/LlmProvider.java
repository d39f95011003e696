package ai.aegis.worker.llm;

/**
 * A language model reached over some wire protocol. Implementations are thread-safe and blocking: callers run on
 * virtual threads.
 */
public interface LlmProvider {

    /** The configured provider name, e.g. {@code local-openai}. */
    String name();

    /** The provider type, e.g. {@code openai}, {@code scripted}. */
    String type();

    /**
     * One chat completion.
     *
     * @throws LlmException when the provider fails after its retries; the message is safe to show (no secrets)
     */
    LlmResponse chat(LlmRequest request) throws LlmException;
}
