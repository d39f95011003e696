package ai.aegis.topology.stimulus;

/**
 * Why the routing stage refused a stimulus, as the error of its dead letter: the dead letter's {@code error_class} is
 * this class's name and its {@code error_message} {@code <code>: <message>}, the code and message the caller got.
 */
public final class StimulusRefusedException extends RuntimeException {

    private final String code;

    public StimulusRefusedException(String code, String message) {
        super(code + ": " + message, null, false, false);
        this.code = code;
    }

    /** The reply's {@code error.code}, e.g. {@code no_router_configured}. */
    public String code() {
        return code;
    }
}
