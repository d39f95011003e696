package ai.aegis.schemas.json;

import com.fasterxml.jackson.annotation.JsonValue;

import java.util.Locale;

/**
 * An enum of the wire contract whose JSON name is its constant's name in lower case ({@code TIMED_OUT} is
 * {@code "timed_out"}). Jackson writes it through {@link #wireName()}; each enum reads it back with a
 * {@code @JsonCreator} that calls {@link #parse}.
 */
public interface WireEnum {

    /** The JSON name, e.g. {@code timed_out}; also what messages and logs show, as the API does. */
    @JsonValue
    default String wireName() {
        return ((Enum<?>) this).name().toLowerCase(Locale.ROOT);
    }

    /**
     * The constant with this JSON name, or null for null and for a name the enum does not know. A tolerant reader:
     * the JSON Schemas refuse such a value on the wire, and a record that carries one anyway is read, with a null
     * status, rather than dropped, so that it meets the same "not one of ours" handling a plain string did.
     */
    static <E extends Enum<E> & WireEnum> E parse(Class<E> type, String name) {
        if (name == null) {
            return null;
        }
        for (E constant : type.getEnumConstants()) {
            if (constant.wireName().equals(name)) {
                return constant;
            }
        }
        return null;
    }
}
