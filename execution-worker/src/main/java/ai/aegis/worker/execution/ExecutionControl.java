package ai.aegis.worker.execution;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The handle of one run of an execution on this worker: it can be cancelled (a user asked: the execution ends as
 * {@code execution_cancelled}) or abandoned (the worker gives it up at shutdown: no terminal event, another worker
 * runs it again). Either interrupts the execution's thread, which kills its sandbox.
 *
 * <p>A run is one <b>attempt</b> of the execution. It can be <b>superseded</b>: the worker learnt that it no longer
 * holds the execution's request (its acquisition lock ran out while it was frozen or cut off, and another worker may
 * run the next attempt). A superseded run is abandoned and writes nothing more: its events and its end would only
 * compete with the newer attempt's. Before it ends the execution, a run confirms its {@link Lease}.
 */
public final class ExecutionControl {

    /** Why an execution stops early. */
    public enum Stop { NONE, CANCEL, ABANDON }

    /** Whether this worker still holds the execution's request; asks Kafka, so it may take a round trip. */
    @FunctionalInterface
    public interface Lease {
        /** A run that nobody else can take over (a judge in-process, a test): always held. */
        Lease HELD = () -> true;

        boolean confirm() throws InterruptedException;
    }

    private final String executionId;
    private final int attempt;
    private final Lease lease;
    private final AtomicReference<Stop> stop = new AtomicReference<>(Stop.NONE);
    private final CountDownLatch finished = new CountDownLatch(1);
    private volatile Thread thread;
    private volatile String reason;
    private volatile boolean superseded;

    /** The first attempt, with a lease that is always held (judges, tests). */
    public ExecutionControl(String executionId) {
        this(executionId, 1, Lease.HELD);
    }

    public ExecutionControl(String executionId, int attempt, Lease lease) {
        if (attempt < 1) {
            throw new IllegalArgumentException("attempts count from 1, not " + attempt);
        }
        this.executionId = executionId;
        this.attempt = attempt;
        this.lease = lease;
    }

    public String executionId() {
        return executionId;
    }

    /** Which run of the execution this is: 1 for the first, n after n-1 runs were lost. */
    public int attempt() {
        return attempt;
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

    /**
     * This run lost its claim on the execution: from now on it writes nothing, and it stops (an abandon, or a cancel
     * already under way, whose end is not written either).
     */
    public void supersede(String why) {
        superseded = true;
        request(Stop.ABANDON, why);
    }

    public boolean superseded() {
        return superseded;
    }

    /**
     * Confirms that this worker still holds the execution before the run writes its end. False, and the run is
     * superseded, when it does not (or was superseded already).
     */
    public boolean confirmLease() throws InterruptedException {
        if (superseded) {
            return false;
        }
        if (!lease.confirm()) {
            supersede("this worker no longer holds the execution's request");
            return false;
        }
        return !superseded;
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
