package ai.aegis.worker.runtime;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One output stream of a sandbox, fed with chunks of bytes as they arrive (from a pipe, or from the container engine's
 * frames): hands every line to the listener as it completes and keeps only the last {@code cap} bytes for the result,
 * so a chatty agent can neither block its pipe nor exhaust the heap. Bytes are kept verbatim (a final line without
 * newline stays so); lines are split only for the listener. A {@link ContainerRuntime.ByteListener} gets the chunks
 * themselves instead (it gathers lines into records on its own).
 */
public final class OutputTail {

    /** A line longer than this is passed to the listener in pieces rather than buffered without bound. */
    static final int MAX_LINE_BYTES = 64 * 1024;

    private final String streamName;
    private final ContainerRuntime.OutputListener listener;
    private final int cap;
    private final ByteArrayOutputStream pendingLine = new ByteArrayOutputStream();
    private byte[] tail;
    private int tailLength;
    private long total;

    public OutputTail(String streamName, ContainerRuntime.OutputListener listener, long cap) {
        this.streamName = streamName;
        this.listener = listener;
        this.cap = (int) Math.max(0, Math.min(cap, Integer.MAX_VALUE - 16));
        this.tail = new byte[Math.min(this.cap, 8192)];
    }

    public synchronized void accept(byte[] chunk) {
        if (chunk != null) {
            accept(chunk, chunk.length);
        }
    }

    /** The first {@code length} bytes of {@code chunk}. */
    public synchronized void accept(byte[] chunk, int length) {
        if (length <= 0) {
            return;
        }
        keep(chunk, length);
        if (listener instanceof ContainerRuntime.ByteListener bytes) {
            try {
                bytes.bytes(streamName, chunk, length);
            } catch (RuntimeException e) {
                // A faulty listener must not stop the capture of the rest of the output.
            }
        } else {
            splitLines(chunk, length);
        }
    }

    /** The stream ended: a last line without newline still reaches the listener. */
    public synchronized void finish() {
        if (pendingLine.size() > 0) {
            emit();
        }
    }

    private void keep(byte[] chunk, int n) {
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

    private void splitLines(byte[] chunk, int n) {
        int start = 0;
        for (int i = 0; i < n; i++) {
            if (chunk[i] == '\n') {
                if (pendingLine.size() == 0) {
                    emit(chunk, start, i - start); // the whole line is in this chunk: no copy
                } else {
                    pendingLine.write(chunk, start, i - start);
                    emit();
                }
                start = i + 1;
            } else if (pendingLine.size() + (i - start) >= MAX_LINE_BYTES) {
                pendingLine.write(chunk, start, i - start);
                emit();
                start = i;
            }
        }
        pendingLine.write(chunk, start, n - start);
    }

    private void emit() {
        byte[] bytes = pendingLine.toByteArray();
        pendingLine.reset();
        emit(bytes, 0, bytes.length);
    }

    private void emit(byte[] bytes, int from, int length) {
        if (length > 0 && bytes[from + length - 1] == '\r') {
            length--;
        }
        try {
            listener.line(streamName, new String(bytes, from, length, StandardCharsets.UTF_8));
        } catch (RuntimeException e) {
            // A faulty listener must not stop the capture of the rest of the output.
        }
    }

    /** True when more bytes were produced than the cap kept. */
    public synchronized boolean truncated() {
        return total > cap;
    }

    /** The kept bytes decoded as UTF-8; when cut, a character split at the cut is dropped rather than mangled. */
    public synchronized String text() {
        int from = 0;
        if (total > cap) {
            while (from < Math.min(3, tailLength) && (tail[from] & 0xC0) == 0x80) {
                from++;
            }
        }
        return new String(tail, from, tailLength - from, StandardCharsets.UTF_8);
    }
}
