package ai.aegis.worker.kafka;

import ai.aegis.schemas.workflow.WorkflowStepResult;
import ai.aegis.worker.execution.ExecutionControl;
import ai.aegis.worker.execution.StepReporter;

/**
 * Step results numbered with the attempt of the run that reports them, and fenced like the run's end: a superseded
 * run (or one whose worker no longer holds the request) reports nothing, so a workflow step is ended by its newest
 * run only.
 *
 * <p>The runner reports a step on the thread that runs the execution, at its very end; {@link #runAs} tells this
 * reporter which run that thread is. A thread-local rather than a lookup by execution id, because two runs of one
 * execution can overlap on one worker for a moment (a superseded one stopping while the newer one starts), and the
 * older one's result must not be taken for the newer one's.
 */
public final class AttemptSteps implements StepReporter {

    private static final System.Logger LOG = System.getLogger(AttemptSteps.class.getName());
    private static final ThreadLocal<ExecutionControl> RUN = new ThreadLocal<>();

    /** A piece of a run that may throw anything the runner throws. */
    @FunctionalInterface
    interface RunBody {
        void run() throws Exception;
    }

    private final StepReporter delegate;

    public AttemptSteps(StepReporter delegate) {
        this.delegate = delegate;
    }

    /** Runs {@code body} as (a part of) run {@code control}: the steps it reports are that run's. */
    void runAs(ExecutionControl control, RunBody body) throws Exception {
        RUN.set(control);
        try {
            body.run();
        } finally {
            RUN.remove();
        }
    }

    /** Writes that a new attempt of a step's execution starts ({@link WorkflowStepResult#attemptStarted}). */
    void announce(WorkflowStepResult notice) throws Exception {
        delegate.report(notice);
    }

    @Override
    public void report(WorkflowStepResult result) throws Exception {
        ExecutionControl control = RUN.get();
        if (control == null || !control.executionId().equals(result.executionId())) {
            delegate.report(result); // not a run of this worker's (a runner used on its own)
            return;
        }
        if (!control.confirmLease()) {
            LOG.log(System.Logger.Level.WARNING, "execution " + result.executionId() + ": attempt "
                    + control.attempt() + " was superseded; its step result is not written");
            return;
        }
        delegate.report(result.withAttempt(control.attempt()));
    }
}
