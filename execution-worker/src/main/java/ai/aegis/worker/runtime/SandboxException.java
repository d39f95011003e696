package ai.aegis.worker.runtime;

/** The sandbox could not be created or started (not a failure of the agent itself). */
public final class SandboxException extends Exception {

    public SandboxException(String message, Throwable cause) {
        super(message, cause);
    }

    public SandboxException(String message) {
        super(message);
    }
}
