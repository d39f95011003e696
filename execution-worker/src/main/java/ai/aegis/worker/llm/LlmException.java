package ai.aegis.worker.llm;

/** A model call that failed for good. The message never contains credentials. */
public final class LlmException extends Exception {

    private final boolean retryable;

    public LlmException(String message, boolean retryable, Throwable cause) {
        super(message, cause);
        this.retryable = retryable;
    }

    public LlmException(String message) {
        this(message, false, null);
    }

    /** True when the same call might succeed later (rate limit, 5xx, I/O). */
    public boolean retryable() {
        return retryable;
    }
}
