package ai.aegis.worker.smcp;

/** An SMCP call refused or failed, with what the caller is answered. */
public final class SmcpException extends Exception {

    private final SmcpError error;
    private final transient Object detail;

    public SmcpException(SmcpError error, String message) {
        this(error, message, null);
    }

    /** @param detail carried to the answer's {@code error.data} (a policy violation), or null */
    public SmcpException(SmcpError error, String message, Object detail) {
        super(message, null, false, false);
        this.error = error;
        this.detail = detail;
    }

    public SmcpError error() {
        return error;
    }

    public Object detail() {
        return detail;
    }
}
