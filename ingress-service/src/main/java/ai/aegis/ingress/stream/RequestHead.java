package ai.aegis.ingress.stream;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The head of an HTTP/1.1 request as the {@link StreamListener} needs it: method, path, query parameters, and the
 * few headers a stream reads. A pure parser of bytes already read: it never blocks and never reads past the head.
 *
 * @param headers the headers in {@link #KEPT} (names lower-cased), the first value of each
 */
record RequestHead(String method, String path, Map<String, String> query, Map<String, String> headers) {

    /** The headers a stream reads; the others are skipped, so a large head costs nothing once parsed. */
    static final Set<String> KEPT = Set.of("authorization", "last-event-id");

    /** A head that cannot be served: the status and the message of the answer. */
    static final class Refused extends Exception {
        final int status;

        Refused(int status, String message) {
            super(message, null, false, false);
            this.status = status;
        }
    }

    String header(String lowerCaseName) {
        return headers.get(lowerCaseName);
    }

    /**
     * Where the head ends in {@code buf[0..len)}: the index just past the blank line ({@code CRLF CRLF}, or bare
     * {@code LF LF} from a lenient client), or -1 when it has not all arrived yet.
     */
    static int end(byte[] buf, int len) {
        for (int i = 0; i < len; i++) {
            if (buf[i] == '\n') {
                if (i + 1 < len && buf[i + 1] == '\n') {
                    return i + 2;
                }
                if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n') {
                    return i + 3;
                }
            }
        }
        return -1;
    }

    /**
     * Parses {@code buf[0..len)}, a whole head as {@link #end} found it.
     *
     * @throws Refused 400 for anything that is not an HTTP/1.x request head, 505 for another HTTP version
     */
    static RequestHead parse(byte[] buf, int len) throws Refused {
        String text = new String(buf, 0, len, StandardCharsets.ISO_8859_1);
        String[] lines = text.split("\r?\n", -1);
        String[] requestLine = lines[0].split(" ", -1);
        if (requestLine.length != 3 || requestLine[0].isEmpty() || requestLine[1].isEmpty()) {
            throw new Refused(400, "Malformed request line");
        }
        if (!requestLine[2].startsWith("HTTP/1.")) {
            throw new Refused(requestLine[2].startsWith("HTTP/") ? 505 : 400, "HTTP/1.1 only");
        }
        for (int i = 0; i < requestLine[0].length(); i++) {
            char c = requestLine[0].charAt(i);
            if (c < 'A' || c > 'Z') {
                throw new Refused(400, "Malformed request line");
            }
        }
        String target = requestLine[1];
        if (target.charAt(0) != '/') {
            throw new Refused(400, "Malformed request target");
        }
        int q = target.indexOf('?');
        String path = q < 0 ? target : target.substring(0, q);
        Map<String, String> query = q < 0 ? Map.of() : query(target.substring(q + 1));
        Map<String, String> headers = new HashMap<>(4);
        for (int i = 1; i < lines.length; i++) {
            String line = lines[i];
            if (line.isEmpty()) {
                break; // the blank line that ends the head
            }
            int colon = line.indexOf(':');
            if (colon <= 0 || line.charAt(0) == ' ' || line.charAt(0) == '\t'
                    || Character.isWhitespace(line.charAt(colon - 1))) {
                throw new Refused(400, "Malformed header line");
            }
            String name = line.substring(0, colon).toLowerCase(Locale.ROOT);
            if (KEPT.contains(name)) {
                headers.putIfAbsent(name, line.substring(colon + 1).strip());
            }
        }
        return new RequestHead(requestLine[0], path, query, Map.copyOf(headers));
    }

    private static Map<String, String> query(String raw) throws Refused {
        Map<String, String> params = new HashMap<>(4);
        try {
            for (String pair : raw.split("&")) {
                if (pair.isEmpty()) {
                    continue;
                }
                int eq = pair.indexOf('=');
                String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                params.putIfAbsent(name, value);
            }
        } catch (IllegalArgumentException e) {
            throw new Refused(400, "Malformed query string");
        }
        return Map.copyOf(params);
    }
}
