package ai.aegis.http;

/**
 * Input a route refuses; {@link ErrorHandling} answers it as {@code {"error": message}} with the status. Thrown from
 * anywhere below a route (a parser, a service) so that the refusal reads where the rule is.
 */
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
