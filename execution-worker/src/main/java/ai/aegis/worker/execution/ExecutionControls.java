package ai.aegis.worker.execution;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The executions running on this worker, and cancellations that arrived before their execution did (a cancel of a
 * pending request is remembered so that the request is cancelled as soon as it is picked up).
 */
public final class ExecutionControls {

    private static final int REMEMBERED_CANCELS = 100_000;

    private final Map<String, ExecutionControl> running = new ConcurrentHashMap<>();
    private final LinkedHashMap<String, String> earlyCancels = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
            return size() > REMEMBERED_CANCELS;
        }
    };

    /**
     * Registers a run of attempt {@code attempt}.
     *
     * @return the new control; empty when this attempt or a newer one already runs here (a duplicate delivery). An
     * older attempt still running here (this worker was frozen past its lock and took the execution again) is
     * superseded by the new one.
     */
    public synchronized Optional<ExecutionControl> register(String executionId, int attempt,
                                                            ExecutionControl.Lease lease) {
        ExecutionControl existing = running.get(executionId);
        if (existing != null) {
            if (existing.attempt() >= attempt) {
                return Optional.empty();
            }
            existing.supersede("attempt " + attempt + " of the execution started on this worker");
        }
        ExecutionControl control = new ExecutionControl(executionId, attempt, lease);
        String early = earlyCancels.remove(executionId);
        if (early != null) {
            control.cancel(early);
        }
        running.put(executionId, control);
        return Optional.of(control);
    }

    /** The newest run of the execution on this worker, if one runs here. */
    public Optional<ExecutionControl> get(String executionId) {
        return Optional.ofNullable(running.get(executionId));
    }

    public synchronized void unregister(ExecutionControl control) {
        running.remove(control.executionId(), control);
        control.markFinished();
    }

    /** Cancels the execution if it runs here, otherwise remembers the cancel for when it arrives. */
    public synchronized void cancel(String executionId, String reason) {
        ExecutionControl control = running.get(executionId);
        if (control != null) {
            control.cancel(reason);
        } else {
            earlyCancels.put(executionId, reason);
        }
    }

    public Collection<ExecutionControl> running() {
        return List.copyOf(running.values());
    }

    public int size() {
        return running.size();
    }
}
