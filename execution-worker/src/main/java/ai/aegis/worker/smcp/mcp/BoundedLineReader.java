package ai.aegis.worker.smcp.mcp;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * Reads newline-terminated lines with a cap on their length, so that a runaway server costs at most the cap in
 * memory. Not thread-safe: one reader thread owns it.
 */
final class BoundedLineReader {

    /** A line longer than the cap; the stream is no longer at a message boundary. */
    static final class OversizedLineException extends IOException {
        OversizedLineException(int max) {
            super("a message exceeded " + max + " bytes");
        }
    }

    private final InputStream in;
    private final int maxLineBytes;
    private final byte[] buffer = new byte[64 * 1024];
    private int position;
    private int limit;

    BoundedLineReader(InputStream in, int maxLineBytes) {
        this.in = in;
        this.maxLineBytes = maxLineBytes;
    }

    /** The next line without its terminator ({@code \n} or {@code \r\n}), or null at end of stream. */
    byte[] readLine() throws IOException {
        byte[] line = new byte[Math.min(1024, maxLineBytes)];
        int length = 0;
        while (true) {
            if (position == limit) {
                limit = in.read(buffer);
                position = 0;
                if (limit <= 0) {
                    limit = 0;
                    return length == 0 ? null : trim(line, length);
                }
            }
            int start = position;
            while (position < limit && buffer[position] != '\n') {
                position++;
            }
            int chunk = position - start;
            if (length + chunk > maxLineBytes) {
                throw new OversizedLineException(maxLineBytes);
            }
            if (length + chunk > line.length) {
                line = Arrays.copyOf(line, Math.min(maxLineBytes, Math.max(line.length * 2, length + chunk)));
            }
            System.arraycopy(buffer, start, line, length, chunk);
            length += chunk;
            if (position < limit) {
                position++; // the newline
                return trim(line, length);
            }
        }
    }

    private static byte[] trim(byte[] line, int length) {
        int end = length > 0 && line[length - 1] == '\r' ? length - 1 : length;
        return Arrays.copyOf(line, end);
    }
}
