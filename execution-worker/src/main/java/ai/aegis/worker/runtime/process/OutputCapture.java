package ai.aegis.worker.runtime.process;

import ai.aegis.worker.runtime.ContainerRuntime.OutputListener;
import ai.aegis.worker.runtime.OutputTail;

import java.io.IOException;
import java.io.InputStream;

/**
 * Drains one output stream of a sandbox process into an {@link OutputTail}: the listener gets every line as it
 * arrives, the result keeps only the tail, and the pipe never fills up and blocks the process.
 */
public final class OutputCapture implements Runnable {

    private final InputStream in;
    private final OutputTail tail;

    public OutputCapture(String streamName, InputStream in, OutputListener listener, long cap) {
        this.in = in;
        this.tail = new OutputTail(streamName, listener, cap);
    }

    @Override
    public void run() {
        byte[] buffer = new byte[8192];
        try (in) {
            int n;
            while ((n = in.read(buffer)) != -1) {
                tail.accept(buffer, n);
            }
        } catch (IOException e) {
            // The stream was closed under us (the process was killed and the pipe torn down): keep what we have.
        } finally {
            tail.finish();
        }
    }

    /** True when more bytes were produced than the cap kept. */
    public boolean truncated() {
        return tail.truncated();
    }

    /** The kept bytes decoded as UTF-8. */
    public String text() {
        return tail.text();
    }
}
