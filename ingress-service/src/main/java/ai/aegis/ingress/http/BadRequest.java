package ai.aegis.ingress.http;

/** Input the API refuses; the message is shown to the caller as {@code {"error": message}} with the status. */
public final class BadRequest extends RuntimeException {

    private final int status;

    public BadRequest(int status, String message) {
        super(message, null, false, false);
        this.status = status;
    }

    public BadRequest(String message) {
        this(400, message);
    }

    public int status() {
        return status;
    }
}
