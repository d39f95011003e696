package ai.aegis.worker.runtime.docker;

import com.github.dockerjava.api.async.ResultCallback;

import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A docker-java streaming callback with explicit "attached" and "ended" signals. docker-java's own templates log
 * every stream error at ERROR level, including the expected one when we close a stream ourselves, and do not signal
 * "started" on failure; this one records the error for the caller to judge and never blocks a waiter forever.
 */
final class Streaming<T> implements ResultCallback<T> {

    private final Consumer<T> onItem;
    private final CountDownLatch started = new CountDownLatch(1);
    private final CountDownLatch ended = new CountDownLatch(1);
    private volatile Closeable stream;
    private volatile Throwable error;
    private volatile boolean closed;

    Streaming(Consumer<T> onItem) {
        this.onItem = onItem;
    }

    @Override
    public void onStart(Closeable stream) {
        this.stream = stream;
        started.countDown();
    }

    @Override
    public void onNext(T item) {
        onItem.accept(item);
    }

    @Override
    public void onError(Throwable throwable) {
        if (!closed && error == null) {
            error = throwable;
        }
        started.countDown();
        ended.countDown();
    }

    @Override
    public void onComplete() {
        started.countDown();
        ended.countDown();
    }

    /** True once the engine answered (or the request failed: see {@link #error()}). */
    boolean awaitStarted(Duration timeout) throws InterruptedException {
        return started.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** True once the stream ended (completely or with an error). */
    boolean awaitEnded(Duration timeout) throws InterruptedException {
        return ended.await(Math.max(0, timeout.toNanos()), TimeUnit.NANOSECONDS);
    }

    /** The failure that ended the stream, unless it was our own {@link #close()}. */
    Throwable error() {
        return error;
    }

    @Override
    public void close() {
        closed = true;
        Closeable s = stream;
        if (s != null) {
            try {
                s.close();
            } catch (IOException | RuntimeException ignored) {
                // closing a stream that is already gone
            }
        }
        started.countDown();
        ended.countDown();
    }
}
