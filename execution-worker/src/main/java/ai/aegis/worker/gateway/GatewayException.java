package ai.aegis.worker.gateway;

/** A dispatch-gateway call refused or failed; {@code status} is the HTTP status to answer with. */
public final class GatewayException extends Exception {

    private final int status;

    public GatewayException(int status, String message) {
        super(message, null, false, false);
        this.status = status;
    }

    public int status() {
        return status;
    }
}
