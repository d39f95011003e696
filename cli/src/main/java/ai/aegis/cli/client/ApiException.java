package ai.aegis.cli.client;

/** The API answered with an error status: {@code aegis: 404 Agent not found}. */
public final class ApiException extends CliException {

    private final int status;

    public ApiException(int status, String message) {
        super(status + " " + message, 1);
        this.status = status;
    }

    public int status() {
        return status;
    }
}
