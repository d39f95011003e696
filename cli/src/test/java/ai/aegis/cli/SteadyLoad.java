package ai.aegis.cli;

import ai.aegis.schemas.json.Json;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A steady stream of {@code POST /v1/executions} through the real HTTP API, one every {@code interval} on its own
 * thread, recording every answer: what the fault suite inflicts its faults under. The record is the ledger the
 * cases check afterwards: which executions the API accepted (200), and how everything else was answered.
 */
final class SteadyLoad implements AutoCloseable {

    /** A request the API never answered within this is a hang: the contract allows a 503, not a wait. */
    static final Duration HANG = Duration.ofSeconds(20);

    /**
     * One POST and its answer.
     *
     * @param status      the HTTP status, or -1 when no answer came (then {@code error} says why)
     * @param executionId the accepted execution's id (status 200 only)
     */
    record Attempt(int status, String executionId, String body, Duration took, String error) {

        boolean accepted() {
            return status == 200;
        }

        String outcome() {
            return status >= 0 ? Integer.toString(status) : "no answer (" + error + ")";
        }
    }

    private final TestSystem system;
    private final String agentId;
    private final Duration interval;
    private final List<Attempt> attempts = new ArrayList<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread thread;

    private SteadyLoad(TestSystem system, String agentId, Duration interval) {
        this.system = system;
        this.agentId = agentId;
        this.interval = interval;
        this.thread = Thread.ofPlatform().name("steady-load").start(this::run);
    }

    /** Starts posting executions of {@code agentId}, one every {@code interval}. */
    static SteadyLoad start(TestSystem system, String agentId, Duration interval) {
        return new SteadyLoad(system, agentId, interval);
    }

    /** One POST, answered or not. */
    static Attempt post(TestSystem system, String agentId, String input) {
        long started = System.nanoTime();
        try {
            HttpResponse<String> res = system.post("/v1/executions",
                    Json.write(Map.of("agent_id", agentId, "input", input)));
            Duration took = Duration.ofNanos(System.nanoTime() - started);
            String id = res.statusCode() == 200 ? Json.tree(res.body()).path("execution_id").asText(null) : null;
            return new Attempt(res.statusCode(), id, res.body(), took, null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Attempt(-1, null, null, Duration.ofNanos(System.nanoTime() - started), "interrupted");
        } catch (Exception e) {
            return new Attempt(-1, null, null, Duration.ofNanos(System.nanoTime() - started), e.toString());
        }
    }

    private void run() {
        long next = System.nanoTime();
        for (int n = 0; running.get(); n++) {
            Attempt attempt = post(system, agentId, "load " + n);
            synchronized (attempts) {
                attempts.add(attempt);
            }
            // a fixed rate, not a fixed pause: a slow answer does not slow the load down afterwards
            next += interval.toNanos();
            long wait = next - System.nanoTime();
            if (wait > 0) {
                try {
                    TimeUnit.NANOSECONDS.sleep(wait);
                } catch (InterruptedException e) {
                    return;
                }
            } else {
                next = System.nanoTime();
            }
        }
    }

    /** Every attempt so far. */
    List<Attempt> attempts() {
        synchronized (attempts) {
            return List.copyOf(attempts);
        }
    }

    /** How many POSTs were accepted so far. */
    int acceptedCount() {
        return (int) attempts().stream().filter(Attempt::accepted).count();
    }

    /** The ids of the accepted executions. */
    List<String> accepted() {
        return attempts().stream().filter(Attempt::accepted).map(Attempt::executionId).toList();
    }

    /** How many attempts had each outcome ({@code 200 -> 41, 503 -> 6}). */
    Map<String, Integer> outcomes() {
        Map<String, Integer> counts = new TreeMap<>();
        attempts().forEach(a -> counts.merge(a.outcome(), 1, Integer::sum));
        return counts;
    }

    /** Stops posting (the attempt in flight is finished and recorded) and returns every attempt. */
    List<Attempt> stop() {
        running.set(false);
        try {
            // the attempt in flight ends within the HTTP client's own timeout
            thread.join(Duration.ofSeconds(60));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return attempts();
    }

    @Override
    public void close() {
        stop();
    }
}
