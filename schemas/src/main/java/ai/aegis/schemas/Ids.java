package ai.aegis.schemas;

import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;

/** Identifiers are canonical UUID v4 strings (so that every id in a path or a body is checked the same way). */
public final class Ids {

    private static final Pattern CANONICAL =
            Pattern.compile("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$");

    private Ids() {
    }

    public static String newId() {
        return UUID.randomUUID().toString();
    }

    /** Only the canonical 8-4-4-4-12 form counts: {@link UUID#fromString} alone accepts "1-1-1-1-1". */
    public static boolean isUuid(String value) {
        return value != null && CANONICAL.matcher(value).matches();
    }

    public static Optional<String> normalise(String value) {
        return isUuid(value) ? Optional.of(value.toLowerCase()) : Optional.empty();
    }
}
