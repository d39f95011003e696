package ai.aegis.worker.validation;

/** A judge agent that could not give a verdict: not found, failed, or too slow. */
public final class JudgeException extends Exception {

    private final boolean timedOut;

    public JudgeException(String message) {
        this(message, false, null);
    }

    public JudgeException(String message, Throwable cause) {
        this(message, false, cause);
    }

    private JudgeException(String message, boolean timedOut, Throwable cause) {
        super(message, cause);
        this.timedOut = timedOut;
    }

    /** The judge did not finish within its {@code timeout_seconds}. */
    public static JudgeException timedOut(String message) {
        return new JudgeException(message, true, null);
    }

    public boolean timedOut() {
        return timedOut;
    }
}
