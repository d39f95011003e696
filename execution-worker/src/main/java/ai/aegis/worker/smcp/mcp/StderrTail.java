package ai.aegis.worker.smcp.mcp;

import java.nio.charset.StandardCharsets;

/** The last bytes a server wrote to stderr, kept for error messages instead of logging an unbounded stream. */
final class StderrTail {

    static final int DEFAULT_CAPACITY = 8 * 1024;

    private final byte[] ring;
    private long written;

    StderrTail(int capacity) {
        this.ring = new byte[capacity];
    }

    synchronized void append(byte[] bytes, int offset, int length) {
        for (int i = 0; i < length; i++) {
            ring[(int) (written++ % ring.length)] = bytes[offset + i];
        }
    }

    /** The retained tail as text (a multi-byte character cut at the start shows as a replacement character). */
    synchronized String text() {
        int size = (int) Math.min(written, ring.length);
        byte[] out = new byte[size];
        long start = written - size;
        for (int i = 0; i < size; i++) {
            out[i] = ring[(int) ((start + i) % ring.length)];
        }
        return new String(out, StandardCharsets.UTF_8).strip();
    }
}
