package ai.aegis.worker.execution;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The handle of one execution running on this worker: it can be cancelled (a user asked: the execution ends as
 * {@code execution_cancelled}) or abandoned (the worker gives it up, in a rebalance or at shutdown: no terminal
 * event, another worker runs it again). Either interrupts the execution's thread, which kills its sandbox.
 */
public final class ExecutionControl {

    /** Why an execution stops early. */
    public enum Stop { NONE, CANCEL, ABANDON }

    private final String executionId;
    private final AtomicReference<Stop> stop = new AtomicReference<>(Stop.NONE);
    private final CountDownLatch finished = new CountDownLatch(1);
    private volatile Thread thread;
    private volatile String reason;

    public ExecutionControl(String executionId) {
        this.executionId = executionId;
    }

    public String executionId() {
        return executionId;
    }

    /** Binds the thread that runs the execution; a stop requested earlier interrupts it at once. */
    public void bind(Thread runner) {
        thread = runner;
        if (stop.get() != Stop.NONE) {
            runner.interrupt();
        }
    }

    public boolean cancel(String why) {
        return request(Stop.CANCEL, why);
    }

    public boolean abandon(String why) {
        return request(Stop.ABANDON, why);
    }

    private boolean request(Stop kind, String why) {
        if (!stop.compareAndSet(Stop.NONE, kind)) {
            return false;
        }
        reason = why;
        Thread t = thread;
        if (t != null) {
            t.interrupt();
        }
        return true;
    }

    public Stop stop() {
        return stop.get();
    }

    public boolean stopped() {
        return stop.get() != Stop.NONE;
    }

    public String reason() {
        return reason;
    }

    public void markFinished() {
        finished.countDown();
    }

    /** Waits until the execution's thread has finished with it (its sandbox is gone). */
    public boolean awaitFinished(long millis) throws InterruptedException {
        return finished.await(millis, TimeUnit.MILLISECONDS);
    }
}
