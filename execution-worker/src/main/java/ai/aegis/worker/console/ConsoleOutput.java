package ai.aegis.worker.console;

import ai.aegis.worker.runtime.ContainerRuntime;

import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One iteration's console, between the sandbox's output readers and the event sink: output goes into a
 * {@link ConsoleBatcher}, and what it says is due is handed to {@code sink} at once, from the reader's thread when a
 * record fills up, or from this console's own virtual thread when a line lingered long enough or the rate limit let
 * held lines go. {@link #close} writes what is still held (the streams' tails) before the iteration's next event, so
 * the output of an iteration always precedes its {@code iteration_completed} or {@code iteration_failed}.
 *
 * <p>Readers never wait for Kafka here beyond the producer's own {@code send} (which does not block while its
 * buffer has room: the batcher bounds what one iteration can put there), and never for each other longer than a
 * record takes to hand over.
 */
public final class ConsoleOutput implements ContainerRuntime.ByteListener, AutoCloseable {

    /** Receives each record's text: lines of one stream joined by newlines, and the bytes dropped before it. */
    @FunctionalInterface
    public interface Sink {
        void write(String stream, String text, boolean truncated, Long omittedBytes);
    }

    private static final System.Logger LOG = System.getLogger(ConsoleOutput.class.getName());
    private static final long MIN_WAIT_NANOS = 1_000_000;

    private final ConsoleBatcher batcher;
    private final Sink sink;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    /** What the flusher sleeps until; a line that makes something due earlier wakes it. */
    private long flusherWakesAt = Long.MAX_VALUE;
    private boolean closed;
    private boolean sinkFailed;

    public ConsoleOutput(ConsoleConfig config, Sink sink) {
        this.batcher = new ConsoleBatcher(config, System.nanoTime());
        this.sink = sink;
        Thread.ofVirtual().name("console-flush").start(this::flushWhileOpen);
    }

    /** Bytes as the sandbox's reader read them (from {@link ai.aegis.worker.runtime.OutputTail}). */
    @Override
    public void bytes(String stream, byte[] chunk, int length) {
        lock.lock();
        try {
            if (!closed) {
                write(batcher.bytes(stream, chunk, length, System.nanoTime()));
                wakeFlusherIfSooner();
            }
        } finally {
            lock.unlock();
        }
    }

    /** One line, without its newline (from a runtime that splits lines itself). */
    @Override
    public void line(String stream, String line) {
        lock.lock();
        try {
            if (!closed) {
                write(batcher.line(stream, line, System.nanoTime()));
                wakeFlusherIfSooner();
            }
        } finally {
            lock.unlock();
        }
    }

    private void wakeFlusherIfSooner() {
        if (batcher.nextDue() < flusherWakesAt) {
            changed.signal();
        }
    }

    /** The sandbox is gone: writes what is still held, then takes no more lines. */
    @Override
    public void close() {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            write(batcher.finish());
            changed.signal();
        } finally {
            lock.unlock();
        }
    }

    private void flushWhileOpen() {
        lock.lock();
        try {
            while (!closed) {
                long now = System.nanoTime();
                write(batcher.due(now));
                flusherWakesAt = batcher.nextDue();
                if (flusherWakesAt == Long.MAX_VALUE) {
                    changed.await();
                } else {
                    // at least a millisecond: a due time that the batcher cannot meet yet must not spin
                    changed.awaitNanos(Math.max(flusherWakesAt - now, MIN_WAIT_NANOS));
                }
            }
        } catch (InterruptedException e) {
            // nobody interrupts this thread; if someone does, close() still writes what is held
        } finally {
            lock.unlock();
        }
    }

    private void write(List<ConsoleBatcher.Chunk> chunks) {
        for (ConsoleBatcher.Chunk c : chunks) {
            try {
                sink.write(c.stream(), c.text(), c.truncated(), c.truncated() ? c.omittedBytes() : null);
            } catch (RuntimeException e) {
                // the sink logs what it could not write; one line here says that output is being lost
                if (!sinkFailed) {
                    sinkFailed = true;
                    LOG.log(System.Logger.Level.WARNING, "console output could not be handed on: " + e);
                }
            }
        }
    }
}
