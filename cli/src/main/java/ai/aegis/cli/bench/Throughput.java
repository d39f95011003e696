package ai.aegis.cli.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A CPU-bound operation called in a loop on {@code threads} platform threads (not virtual ones: nothing here
 * blocks, and each thread should keep a core), for a fixed time, or until one thread has used its share of a pool of
 * inputs. Each thread counts its own calls; the rate is all calls over the time from the common start to the last
 * thread's stop.
 */
final class Throughput {

    /** One call; {@code i} counts the thread's calls (the index into its share of a pool). @return whether it was ok */
    @FunctionalInterface
    interface Op {
        boolean run(int thread, int i) throws Exception;
    }

    /**
     * @param firstError what the first failed call said, or null
     */
    record Result(int threads, long ops, long errors, double seconds, String firstError) {

        double perSecond() {
            return ops / seconds;
        }

        /** The mean time one call takes on its thread: with N threads busy, N calls are under way at once. */
        double microsPerOp() {
            return threads * 1e6 / perSecond();
        }
    }

    private Throughput() {
    }

    /**
     * @param limit calls per thread at most (its share of a pool), or {@link Integer#MAX_VALUE}
     */
    static Result run(int threads, Duration length, int limit, Op op) throws InterruptedException {
        CountDownLatch ready = new CountDownLatch(threads);
        CountDownLatch go = new CountDownLatch(1);
        CountDownLatch finished = new CountDownLatch(1);
        // a volatile read per call (next to nothing on x86): the coordinator's way to stop the loops
        AtomicBoolean stop = new AtomicBoolean();
        long[] ops = new long[threads];
        long[] errors = new long[threads];
        long[] ends = new long[threads];
        AtomicReference<String> firstError = new AtomicReference<>();
        List<Thread> running = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int thread = t;
            running.add(Thread.ofPlatform().name("bench-smcp-" + t).start(() -> {
                ready.countDown();
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                int i = 0;
                long failed = 0;
                while (i < limit && !stop.get()) {
                    boolean ok;
                    try {
                        ok = op.run(thread, i);
                    } catch (Exception e) {
                        ok = false;
                        firstError.compareAndSet(null, e.toString());
                    }
                    if (!ok) {
                        failed++;
                    }
                    i++;
                }
                ends[thread] = System.nanoTime();
                ops[thread] = i;
                errors[thread] = failed;
                finished.countDown(); // a share used up ends the measurement for every thread
            }));
        }
        ready.await();
        long t0 = System.nanoTime();
        go.countDown();
        finished.await(length.toNanos(), TimeUnit.NANOSECONDS);
        stop.set(true);
        for (Thread t : running) {
            t.join();
        }
        long end = t0;
        long total = 0;
        long failed = 0;
        for (int t = 0; t < threads; t++) {
            end = Math.max(end, ends[t]);
            total += ops[t];
            failed += errors[t];
        }
        return new Result(threads, total, failed, (end - t0) / 1e9, firstError.get());
    }
}
