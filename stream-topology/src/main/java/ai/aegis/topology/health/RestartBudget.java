package ai.aegis.topology.health;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * How often a failed worker thread may be replaced before the failure is taken as lasting: at most {@code max}
 * replacements within {@code window}. A fault that passes (a broker restart, a lost connection) is survived by
 * starting the thread again; one that stays (a deleted topic, a revoked permission) would only make a restart loop,
 * so past the budget the component stops and says so (its health turns down, a process running only it exits). Pure
 * logic on a caller's clock; thread-safe.
 */
public final class RestartBudget {

    public static final int DEFAULT_MAX = 5;
    public static final Duration DEFAULT_WINDOW = Duration.ofMinutes(10);

    private final int max;
    private final long windowNanos;
    private final Deque<Long> restarts = new ArrayDeque<>();
    private long total;

    public RestartBudget(int max, Duration window) {
        if (max < 0 || window.isNegative() || window.isZero()) {
            throw new IllegalArgumentException("a restart budget needs max >= 0 and a positive window");
        }
        this.max = max;
        this.windowNanos = window.toNanos();
    }

    public static RestartBudget defaults() {
        return new RestartBudget(DEFAULT_MAX, DEFAULT_WINDOW);
    }

    /**
     * @param nowNanos a monotonic time ({@link System#nanoTime()})
     * @return true when one more restart is within the budget (it is counted), false when the budget is spent
     */
    public synchronized boolean tryRestart(long nowNanos) {
        while (!restarts.isEmpty() && nowNanos - restarts.peekFirst() >= windowNanos) {
            restarts.pollFirst();
        }
        if (restarts.size() >= max) {
            return false;
        }
        restarts.addLast(nowNanos);
        total++;
        return true;
    }

    /** Restarts granted since this budget was made. */
    public synchronized long restarts() {
        return total;
    }
}
