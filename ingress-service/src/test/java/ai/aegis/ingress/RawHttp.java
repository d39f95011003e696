package ai.aegis.ingress;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * One HTTP/1.1 connection spoken by hand over a {@link Socket}: the most honest client when a test is about what
 * arrives on the wire and when (one reused keep-alive connection, a body sent in parts, the moment the first frame
 * of a stream comes after its headers). It reads exactly what the server sent, a byte at a time from a buffer, so
 * the time a read returns is the time those bytes arrived or earlier.
 */
final class RawHttp implements AutoCloseable {

    /** A response's status line and headers (names lower-cased), and when the blank line after them was read. */
    record Head(String statusLine, Map<String, String> headers, long readAtNanos) {

        int status() {
            return Integer.parseInt(statusLine.split(" ")[1]);
        }

        String header(String name) {
            return headers.getOrDefault(name, "");
        }

        boolean chunked() {
            return header("transfer-encoding").equalsIgnoreCase("chunked");
        }
    }

    /** A whole response. */
    record Reply(Head head, String body) {

        int status() {
            return head.status();
        }

        String header(String name) {
            return head.header(name);
        }
    }

    private final Socket socket;
    private final OutputStream out;
    private final InputStream in;

    RawHttp(int port) throws IOException {
        socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(30_000);
        out = socket.getOutputStream();
        in = new BufferedInputStream(socket.getInputStream());
    }

    /** Sends a request's line and headers (with {@code Host}) and, when not null, a body with its length. */
    void send(String method, String path, Map<String, String> headers, String body) throws IOException {
        StringBuilder request = new StringBuilder(method).append(' ').append(path).append(" HTTP/1.1\r\n")
                .append("Host: 127.0.0.1\r\n");
        headers.forEach((name, value) -> request.append(name).append(": ").append(value).append("\r\n"));
        byte[] bytes = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
        if (body != null) {
            request.append("Content-Length: ").append(bytes.length).append("\r\n");
        }
        request.append("\r\n");
        out.write(request.toString().getBytes(StandardCharsets.US_ASCII));
        out.write(bytes);
        out.flush();
    }

    /** Writes raw bytes: the rest of a body sent in parts. */
    void write(String raw) throws IOException {
        out.write(raw.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    /** Reads a whole response: its head, then a body of {@code Content-Length} bytes or chunks to the last. */
    Reply reply() throws IOException {
        Head head = head();
        StringBuilder body = new StringBuilder();
        if (head.chunked()) {
            for (String chunk = chunk(); !chunk.isEmpty(); chunk = chunk()) {
                body.append(chunk);
            }
            line(); // the blank line after the last chunk (no trailers)
        } else {
            body.append(new String(in.readNBytes(Integer.parseInt(head.header("content-length").isEmpty() ? "0"
                    : head.header("content-length"))), StandardCharsets.UTF_8));
        }
        return new Reply(head, body.toString());
    }

    Head head() throws IOException {
        String status = line();
        Map<String, String> headers = new HashMap<>();
        for (String h = line(); !h.isEmpty(); h = line()) {
            int colon = h.indexOf(':');
            headers.put(h.substring(0, colon).trim().toLowerCase(Locale.ROOT), h.substring(colon + 1).trim());
        }
        return new Head(status, headers, System.nanoTime());
    }

    /** The data of the next chunk of a chunked body; the empty string for the last one. */
    String chunk() throws IOException {
        String size = line();
        int semicolon = size.indexOf(';');
        int length = Integer.parseInt((semicolon < 0 ? size : size.substring(0, semicolon)).trim(), 16);
        if (length == 0) {
            return "";
        }
        byte[] data = in.readNBytes(length);
        if (data.length < length) {
            throw new EOFException("connection closed inside a chunk");
        }
        line();
        return new String(data, StandardCharsets.UTF_8);
    }

    /** Whether the server has sent something that was not read yet (an answer, say), without waiting. */
    boolean answered() throws IOException {
        return in.available() > 0;
    }

    /** The next line of the body (without its line end): a stream read line by line. */
    String nextLine() throws IOException {
        return line();
    }

    /** Everything until the server closes the connection: a body delimited by the close. */
    String untilClosed() throws IOException {
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }

    private String line() throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c < 0) {
                throw new EOFException("connection closed after: " + sb);
            }
            if (c != '\r') {
                sb.append((char) c);
            }
        }
        return sb.toString();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
