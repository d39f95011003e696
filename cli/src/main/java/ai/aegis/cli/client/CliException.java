package ai.aegis.cli.client;

/** An error the command line reports as one line on stderr ({@code aegis: <message>}), with its exit code. */
public class CliException extends RuntimeException {

    private final int exitCode;

    public CliException(String message) {
        this(message, 1);
    }

    public CliException(String message, int exitCode) {
        super(message);
        this.exitCode = exitCode;
    }

    public int exitCode() {
        return exitCode;
    }
}
