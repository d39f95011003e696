package ai.aegis.worker.runtime.docker;

import ai.aegis.worker.runtime.ContainerRuntime.OutputListener;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One output stream of a container, fed with the payloads of the engine's multiplexed frames: hands every line to the
 * listener as it completes and keeps only the last {@code cap} bytes for the result. The push-based twin of the
 * process runtime's {@code OutputCapture} (frames arrive on docker-java's thread, there is no stream to drain).
 * Bytes are kept verbatim; lines are split only for the listener.
 */
final class StreamCapture {

    /** A line longer than this is passed to the listener in pieces rather than buffered without bound. */
    static final int MAX_LINE_BYTES = 64 * 1024;

    private final String streamName;
    private final OutputListener listener;
    private final int cap;
    private final ByteArrayOutputStream pendingLine = new ByteArrayOutputStream();
    private byte[] tail;
    private int tailLength;
    private long total;

    StreamCapture(String streamName, OutputListener listener, long cap) {
        this.streamName = streamName;
        this.listener = listener;
        this.cap = (int) Math.max(0, Math.min(cap, Integer.MAX_VALUE - 16));
        this.tail = new byte[Math.min(this.cap, 8192)];
    }

    synchronized void accept(byte[] chunk) {
        if (chunk == null || chunk.length == 0) {
            return;
        }
        keep(chunk);
        splitLines(chunk);
    }

    /** The stream ended: a last line without newline still reaches the listener. */
    synchronized void finish() {
        if (pendingLine.size() > 0) {
            emit();
        }
    }

    private void keep(byte[] chunk) {
        int n = chunk.length;
        total += n;
        if (cap == 0) {
            return;
        }
        if (n >= cap) {
            ensureCapacity(cap);
            System.arraycopy(chunk, n - cap, tail, 0, cap);
            tailLength = cap;
            return;
        }
        int overflow = tailLength + n - cap;
        if (overflow > 0) {
            System.arraycopy(tail, overflow, tail, 0, tailLength - overflow);
            tailLength -= overflow;
        }
        ensureCapacity(tailLength + n);
        System.arraycopy(chunk, 0, tail, tailLength, n);
        tailLength += n;
    }

    private void ensureCapacity(int needed) {
        if (tail.length < needed) {
            tail = Arrays.copyOf(tail, Math.min(cap, Math.max(needed, tail.length * 2)));
        }
    }

    private void splitLines(byte[] chunk) {
        int start = 0;
        for (int i = 0; i < chunk.length; i++) {
            if (chunk[i] == '\n') {
                pendingLine.write(chunk, start, i - start);
                emit();
                start = i + 1;
            } else if (pendingLine.size() + (i - start) >= MAX_LINE_BYTES) {
                pendingLine.write(chunk, start, i - start);
                emit();
                start = i;
            }
        }
        pendingLine.write(chunk, start, chunk.length - start);
    }

    private void emit() {
        byte[] bytes = pendingLine.toByteArray();
        pendingLine.reset();
        int length = bytes.length;
        if (length > 0 && bytes[length - 1] == '\r') {
            length--;
        }
        try {
            listener.line(streamName, new String(bytes, 0, length, StandardCharsets.UTF_8));
        } catch (RuntimeException e) {
            // A faulty listener must not stop the capture of the rest of the output.
        }
    }

    /** True when more bytes were produced than the cap kept. */
    synchronized boolean truncated() {
        return total > cap;
    }

    /** The kept bytes decoded as UTF-8; when cut, a character split at the cut is dropped rather than mangled. */
    synchronized String text() {
        int from = 0;
        if (total > cap) {
            while (from < Math.min(3, tailLength) && (tail[from] & 0xC0) == 0x80) {
                from++;
            }
        }
        return new String(tail, from, tailLength - from, StandardCharsets.UTF_8);
    }
}
