package ai.aegis.worker.smcp.crypto;

import com.fasterxml.jackson.databind.JsonNode;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * The bytes an SMCP envelope's signature covers: compact JSON with the keys of every object sorted, UTF-8, exactly
 * as Python writes it with {@code json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=False)}, since
 * that is what {@code bootstrap.py} signs. Keys sort by code point (Python's order for {@code str}); strings escape
 * only {@code "}, {@code \}, and control characters ({@code \n}, {@code \r}, {@code \t}, {@code \b}, {@code \f},
 * else a six-character escape with lower-case hex); floats take Python's {@code repr}: the shortest digits that round-trip,
 * with an exponent below 1e-4 and from 1e16 ({@code 1e-05}, {@code 1.5e+16}).
 */
public final class CanonicalJson {

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private CanonicalJson() {
    }

    public static byte[] bytes(JsonNode node) {
        StringBuilder sb = new StringBuilder(256);
        write(node, sb);
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static void write(JsonNode node, StringBuilder sb) {
        switch (node.getNodeType()) {
            case OBJECT -> {
                List<String> names = new ArrayList<>(node.size());
                Iterator<String> it = node.fieldNames();
                it.forEachRemaining(names::add);
                names.sort(CanonicalJson::byCodePoint);
                sb.append('{');
                for (int i = 0; i < names.size(); i++) {
                    if (i > 0) {
                        sb.append(',');
                    }
                    string(names.get(i), sb);
                    sb.append(':');
                    write(node.get(names.get(i)), sb);
                }
                sb.append('}');
            }
            case ARRAY -> {
                sb.append('[');
                for (int i = 0; i < node.size(); i++) {
                    if (i > 0) {
                        sb.append(',');
                    }
                    write(node.get(i), sb);
                }
                sb.append(']');
            }
            case STRING -> string(node.textValue(), sb);
            case BOOLEAN -> sb.append(node.booleanValue());
            case NULL, MISSING -> sb.append("null");
            case NUMBER -> number(node, sb);
            default -> throw new IllegalArgumentException("not JSON: " + node.getNodeType());
        }
    }

    private static void number(JsonNode node, StringBuilder sb) {
        if (node.isIntegralNumber()) {
            sb.append(node.bigIntegerValue());
            return;
        }
        double d = node.doubleValue();
        if (Double.isNaN(d) || Double.isInfinite(d)) {
            throw new IllegalArgumentException("JSON has no " + d);
        }
        sb.append(pythonRepr(d));
    }

    /** Python's {@code repr(float)}: Java's shortest round-trip digits (JDK 19+), laid out the way Python does. */
    static String pythonRepr(double d) {
        if (d == 0) {
            return (1 / d < 0) ? "-0.0" : "0.0";
        }
        BigDecimal exact = new BigDecimal(Double.toString(d)).stripTrailingZeros();
        String digits = exact.unscaledValue().abs().toString();
        int exponent = digits.length() - 1 - exact.scale(); // d = 0.digits * 10^(exponent+1)
        String sign = d < 0 ? "-" : "";
        if (exponent < -4 || exponent >= 16) {
            String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
            String exp = (exponent < 0 ? "-" : "+") + (Math.abs(exponent) < 10 ? "0" : "") + Math.abs(exponent);
            return sign + mantissa + "e" + exp;
        }
        if (exponent < 0) {
            return sign + "0." + "0".repeat(-exponent - 1) + digits;
        }
        if (digits.length() <= exponent + 1) {
            return sign + digits + "0".repeat(exponent + 1 - digits.length()) + ".0";
        }
        return sign + digits.substring(0, exponent + 1) + "." + digits.substring(exponent + 1);
    }

    private static void string(String s, StringBuilder sb) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    if (c < 0x20) {
                        sb.append("\\u00").append(HEX[c >> 4]).append(HEX[c & 0xF]);
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }

    private static int byCodePoint(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) {
                return Integer.compare(ca, cb);
            }
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }
}
