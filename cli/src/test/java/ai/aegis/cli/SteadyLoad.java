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
import java.util.function.IntFunction;

/**
 * A steady stream of POSTs through the real HTTP API ({@code /v1/executions} or a workflow's {@code /run}), one
 * every {@code interval} on its own thread, recording every answer: what the fault suite inflicts its faults under.
 * The record is the ledger the cases check afterwards: which executions or runs the API accepted (200), and how
 * everything else was answered.
 */
final class SteadyLoad implements AutoCloseable {

    /** A request the API never answered within this is a hang: the contract allows a 503, not a wait. */
    static final Duration HANG = Duration.ofSeconds(20);

    /**
     * One POST and its answer.
     *
     * @param status the HTTP status, or -1 when no answer came (then {@code error} says why)
     * @param id     the accepted execution's or run's id (status 200 only)
     */
    record Attempt(int status, String id, String body, Duration took, String error) {

        boolean accepted() {
            return status == 200;
        }

        String outcome() {
            return status >= 0 ? Integer.toString(status) : "no answer (" + error + ")";
        }
    }

    private final TestSystem system;
    private final String path;
    private final IntFunction<String> body;
    private final String idField;
    private final Duration interval;
    private final List<Attempt> attempts = new ArrayList<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread thread;

    private SteadyLoad(TestSystem system, String path, IntFunction<String> body, String idField, Duration interval) {
        this.system = system;
        this.path = path;
        this.body = body;
        this.idField = idField;
        this.interval = interval;
        this.thread = Thread.ofPlatform().name("steady-load").start(this::run);
    }

    /** Starts posting executions of {@code agentId}, one every {@code interval}. */
    static SteadyLoad executions(TestSystem system, String agentId, Duration interval) {
        return new SteadyLoad(system, "/v1/executions", n -> executionBody(agentId, "load " + n), "execution_id",
                interval);
    }

    /** Starts running the workflow {@code name}, once every {@code interval}. */
    static SteadyLoad workflowRuns(TestSystem system, String name, Duration interval) {
        return new SteadyLoad(system, "/v1/workflows/" + name + "/run",
                n -> Json.write(Map.of("input", "load " + n)), "workflow_execution_id", interval);
    }

    /** One {@code POST /v1/executions}, answered or not. */
    static Attempt postExecution(TestSystem system, String agentId, String input) {
        return post(system, "/v1/executions", executionBody(agentId, input), "execution_id");
    }

    private static String executionBody(String agentId, String input) {
        return Json.write(Map.of("agent_id", agentId, "input", input));
    }

    private static Attempt post(TestSystem system, String path, String body, String idField) {
        long started = System.nanoTime();
        try {
            HttpResponse<String> res = system.post(path, body);
            Duration took = Duration.ofNanos(System.nanoTime() - started);
            String id = res.statusCode() == 200 ? Json.tree(res.body()).path(idField).asText(null) : null;
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
            Attempt attempt = post(system, path, body.apply(n), idField);
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

    /** The ids of what was accepted, in order. */
    static List<String> accepted(List<Attempt> attempts) {
        return attempts.stream().filter(Attempt::accepted).map(Attempt::id).toList();
    }

    /** How many attempts had each outcome ({@code 200 -> 41, 503 -> 6}). */
    static Map<String, Integer> outcomes(List<Attempt> attempts) {
        Map<String, Integer> counts = new TreeMap<>();
        attempts.forEach(a -> counts.merge(a.outcome(), 1, Integer::sum));
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
