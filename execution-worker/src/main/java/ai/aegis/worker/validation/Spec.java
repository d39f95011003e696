package ai.aegis.worker.validation;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Map;

/**
 * Typed access to one validator entry of the manifest, with errors that name the entry and field
 * ({@code validation[1].pattern: ...}) so the author can find the mistake. Unknown fields are ignored on purpose:
 * manifests written for the reference implementation may carry fields this worker does not use.
 */
final class Spec {

    private final Map<String, Object> fields;
    private final String path;

    Spec(Map<String, Object> fields, int index) {
        this.fields = fields;
        this.path = "validation[" + index + "]";
    }

    IllegalArgumentException error(String field, String message) {
        return new IllegalArgumentException(path + "." + field + ": " + message);
    }

    Object raw(String field) {
        return fields.get(field);
    }

    String requiredString(String field) {
        Object v = fields.get(field);
        if (v == null) {
            throw error(field, "is required");
        }
        if (!(v instanceof String s)) {
            throw error(field, "must be a string (got " + kind(v) + ")");
        }
        if (s.isBlank()) {
            throw error(field, "must not be blank");
        }
        return s;
    }

    String string(String field, String fallback) {
        Object v = fields.get(field);
        if (v == null) {
            return fallback;
        }
        if (!(v instanceof String s)) {
            throw error(field, "must be a string (got " + kind(v) + ")");
        }
        return s;
    }

    boolean bool(String field, boolean fallback) {
        Object v = fields.get(field);
        if (v == null) {
            return fallback;
        }
        if (!(v instanceof Boolean b)) {
            throw error(field, "must be true or false (got " + kind(v) + ")");
        }
        return b;
    }

    int integer(String field, int fallback, int min, int max) {
        Object v = fields.get(field);
        if (v == null) {
            return fallback;
        }
        if (!(v instanceof Number n) || !isIntegral(n)) {
            throw error(field, "must be an integer (got " + kind(v) + ")");
        }
        BigDecimal value = new BigDecimal(n.toString());
        if (value.compareTo(BigDecimal.valueOf(min)) < 0 || value.compareTo(BigDecimal.valueOf(max)) > 0) {
            throw error(field, "must be between " + min + " and " + max + " (got " + n + ")");
        }
        return value.intValueExact();
    }

    /** A score-like number in 0..1. */
    double fraction(String field, double fallback) {
        Object v = fields.get(field);
        if (v == null) {
            return fallback;
        }
        if (!(v instanceof Number n)) {
            throw error(field, "must be a number between 0 and 1 (got " + kind(v) + ")");
        }
        double d = n.doubleValue();
        if (!(d >= 0.0 && d <= 1.0)) {
            throw error(field, "must be between 0 and 1 (got " + n + ")");
        }
        return d;
    }

    private static boolean isIntegral(Number n) {
        if (n instanceof Integer || n instanceof Long || n instanceof Short || n instanceof Byte
                || n instanceof BigInteger) {
            return true;
        }
        // YAML "3.0" arrives as a Double: accept it when it is a whole number.
        double d = n.doubleValue();
        return !Double.isInfinite(d) && d == Math.rint(d);
    }

    static String kind(Object v) {
        if (v instanceof String) {
            return "a string";
        }
        if (v instanceof Number) {
            return "a number";
        }
        if (v instanceof Boolean) {
            return "a boolean";
        }
        if (v instanceof Map) {
            return "an object";
        }
        if (v instanceof Iterable) {
            return "a list";
        }
        return v.getClass().getSimpleName();
    }
}
