package ai.aegis.worker.runtime.process;

import ai.aegis.worker.runtime.ContainerRuntime.OutputListener;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Drains one output stream of a sandbox process: hands every line to the listener as it arrives and keeps only the
 * last {@code cap} bytes for the result, so a chatty agent can neither block on a full pipe nor exhaust the heap.
 * Bytes are captured verbatim (a final line without newline stays so), lines are split only for the listener.
 */
public final class OutputCapture implements Runnable {

    /** A line longer than this is passed to the listener in pieces rather than buffered without bound. */
    static final int MAX_LINE_BYTES = 64 * 1024;

    private final String streamName;
    private final InputStream in;
    private final OutputListener listener;
    private final int cap;
    private final Object lock = new Object();
    private byte[] tail;
    private int tailLength;
    private long total;
    private final ByteArrayOutputStream pendingLine = new ByteArrayOutputStream();

    public OutputCapture(String streamName, InputStream in, OutputListener listener, long cap) {
        this.streamName = streamName;
        this.in = in;
        this.listener = listener;
        this.cap = (int) Math.max(0, Math.min(cap, Integer.MAX_VALUE - 16));
        this.tail = new byte[Math.min(this.cap, 8192)];
    }

    @Override
    public void run() {
        byte[] buffer = new byte[8192];
        try (in) {
            int n;
            while ((n = in.read(buffer)) != -1) {
                keep(buffer, n);
                splitLines(buffer, n);
            }
        } catch (IOException e) {
            // The stream was closed under us (the process was killed and the pipe torn down): keep what we have.
        } finally {
            if (pendingLine.size() > 0) {
                emit();
            }
        }
    }

    private void keep(byte[] chunk, int n) {
        synchronized (lock) {
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
                pendingLine.write(chunk, start, i - start);
                emit();
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
        int length = bytes.length;
        if (length > 0 && bytes[length - 1] == '\r') {
            length--;
        }
        try {
            listener.line(streamName, new String(bytes, 0, length, StandardCharsets.UTF_8));
        } catch (RuntimeException e) {
            // A faulty listener must not stop the draining, or the process would block on a full pipe.
        }
    }

    /** True when more bytes were produced than the cap kept. */
    public boolean truncated() {
        synchronized (lock) {
            return total > cap;
        }
    }

    /** The kept bytes decoded as UTF-8; when cut, a character split at the cut is dropped rather than mangled. */
    public String text() {
        synchronized (lock) {
            int from = 0;
            if (total > cap) {
                while (from < Math.min(3, tailLength) && (tail[from] & 0xC0) == 0x80) {
                    from++;
                }
            }
            return new String(tail, from, tailLength - from, StandardCharsets.UTF_8);
        }
    }
}
