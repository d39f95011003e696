package ai.aegis.schemas.stimulus;

import java.util.Locale;

/**
 * What a stimulus source name may be, written once for webhooks, routes and stimuli: the reference's rule
 * (non-empty, neither {@code /} nor whitespace: a webhook's source is one path segment) plus no control character
 * (so never a NUL, which ends the source in a deduplication key) and at most {@link #MAX_LENGTH} characters. Names
 * match case-insensitively and are kept lower-cased.
 */
public final class StimulusSources {

    public static final int MAX_LENGTH = 128;
    /** The same rule for the JSON Schemas, lower-cased form. */
    public static final String SCHEMA_PATTERN = "^[^/\\s\\p{Cc}A-Z]{1,128}$";

    private StimulusSources() {
    }

    /**
     * @return {@code name} lower-cased
     * @throws IllegalArgumentException when it is not a source name
     */
    public static String normalise(String name) {
        if (name == null || name.isEmpty() || name.length() > MAX_LENGTH || name.chars().anyMatch(c -> c == '/'
                || Character.isWhitespace(c) || Character.isSpaceChar(c) || Character.isISOControl(c))) {
            throw new IllegalArgumentException("a source name is 1 to " + MAX_LENGTH + " characters, without '/', "
                    + "whitespace or control characters");
        }
        return name.toLowerCase(Locale.ROOT);
    }
}
