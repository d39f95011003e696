package ai.aegis.worker.llm;

/**
 * The LLM configuration cannot be used (unknown provider type, missing environment variable, ...). Thrown at start-up
 * so that a misconfigured worker fails before it accepts work. The message never contains a secret's value.
 */
public final class LlmConfigException extends RuntimeException {

    public LlmConfigException(String message) {
        super(message);
    }
}
