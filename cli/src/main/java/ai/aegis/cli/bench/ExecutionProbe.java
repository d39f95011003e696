package ai.aegis.cli.bench;

import ai.aegis.schemas.json.Json;
import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The client side of one measured execution, over real HTTP as any API user sees it: POST /v1/executions, then the
 * execution's SSE stream until {@code execution_completed}.
 */
final class ExecutionProbe {

    /** The terminal or failing events that end a measured run as failed. */
    static final java.util.Set<String> FAILURES = java.util.Set.of("execution_failed", "execution_cancelled",
            "execution_timed_out", "iteration_failed");

    private static final Duration TIMEOUT = Duration.ofSeconds(120);

    private final HttpClient http;
    private final String base;
    private final String streamBase;
    private final String token;

    ExecutionProbe(String base, String token) {
        this(base, base, token);
    }

    /** @param streamBase where it opens the execution's stream (the stream listener's, say); the rest goes to base */
    ExecutionProbe(String base, String streamBase, String token) {
        // HTTP/1.1 with keep-alive: no h2c upgrade dance on the measured requests
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        this.base = base;
        this.streamBase = streamBase;
        this.token = token;
    }

    /** Deploys a manifest (JSON) and returns the agent id. */
    String deploy(String manifest) throws IOException, InterruptedException {
        HttpResponse<String> res = http.send(request("/v1/agents")
                .POST(HttpRequest.BodyPublishers.ofString(manifest)).build(), HttpResponse.BodyHandlers.ofString());
        if (res.statusCode() / 100 != 2) {
            throw new IllegalStateException("deploying the benchmark agent failed: " + res.statusCode() + " "
                    + res.body());
        }
        return Json.tree(res.body()).get("agent_id").asText();
    }

    /** Runs one execution of {@code agentId} and measures it. */
    Sample measure(String agentId) throws IOException, InterruptedException {
        String body = Json.write(Map.of("agent_id", agentId, "input", "benchmark"));
        HttpRequest start = request("/v1/executions").POST(HttpRequest.BodyPublishers.ofString(body)).build();
        // both clocks: wall time to compare with the sandbox's and the events' timestamps, monotonic for the total
        Instant t0 = Instant.now();
        long t0Nanos = System.nanoTime();
        HttpResponse<String> res = http.send(start, HttpResponse.BodyHandlers.ofString());
        if (res.statusCode() != 200) {
            throw new IllegalStateException("starting an execution failed: " + res.statusCode() + " " + res.body());
        }
        String executionId = Json.tree(res.body()).get("execution_id").asText();
        Events events = follow(executionId);
        double completedMs = (events.completedNanos - t0Nanos) / 1e6;

        String output = events.completed.path("final_output").asText().strip();
        long firstCommandEpochNanos;
        try {
            firstCommandEpochNanos = Long.parseLong(output);
        } catch (NumberFormatException e) {
            throw new IllegalStateException("the sandbox did not print its clock: final output was '" + output + "'");
        }
        long t0EpochNanos = t0.getEpochSecond() * 1_000_000_000L + t0.getNano();
        double firstCommandMs = (firstCommandEpochNanos - t0EpochNanos) / 1e6;
        double firstModelCall = events.firstLlm == null ? Double.NaN
                : sinceT0(t0, events.firstLlm.get("timestamp")) - events.firstLlm.path("duration_ms").asDouble();
        double deliveryMs = Duration.between(Instant.parse(events.completed.get("completed_at").asText()),
                events.completedArrived).toNanos() / 1e6;
        return new Sample(firstCommandMs, completedMs, sinceT0(t0, events.executionStarted.get("started_at")),
                sinceT0(t0, events.iterationStarted.get("started_at")), firstModelCall, deliveryMs);
    }

    /** What the stream told about one execution, and when its terminal frame arrived. */
    private record Events(JsonNode executionStarted, JsonNode iterationStarted, JsonNode firstLlm, JsonNode completed,
                          long completedNanos, Instant completedArrived) {
    }

    private Events follow(String executionId) throws IOException, InterruptedException {
        HttpResponse<Stream<String>> res = http.send(HttpRequest.newBuilder(URI.create(streamBase
                        + "/v1/executions/" + executionId + "/stream")).header("Authorization", "Bearer " + token)
                .timeout(TIMEOUT).header("Accept", "text/event-stream").GET().build(),
                HttpResponse.BodyHandlers.ofLines());
        if (res.statusCode() != 200) {
            throw new IllegalStateException("the event stream answered " + res.statusCode());
        }
        JsonNode executionStarted = null;
        JsonNode iterationStarted = null;
        JsonNode firstLlm = null;
        try (Stream<String> lines = res.body()) {
            Iterator<String> it = lines.iterator();
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (it.hasNext()) {
                String line = it.next();
                if (System.nanoTime() > deadline) {
                    // checked per line: heartbeats arrive even when the execution makes no progress
                    throw new IllegalStateException("execution " + executionId + " did not complete within "
                            + TIMEOUT.toSeconds() + " s of its stream's start");
                }
                if (!line.startsWith("data:")) {
                    continue; // id: lines, heartbeats and frame separators
                }
                long arrived = System.nanoTime();
                Instant arrivedAt = Instant.now();
                JsonNode frame = Json.tree(line.substring(5).strip());
                String type = frame.fieldNames().next();
                JsonNode event = frame.get(type);
                switch (type) {
                    case "execution_started" -> executionStarted = executionStarted == null ? event : executionStarted;
                    case "iteration_started" -> iterationStarted = iterationStarted == null ? event : iterationStarted;
                    case "llm_interaction" -> firstLlm = firstLlm == null ? event : firstLlm;
                    case "execution_completed" -> {
                        if (executionStarted == null || iterationStarted == null) {
                            throw new IllegalStateException("execution " + executionId
                                    + " completed without execution_started and iteration_started on its stream");
                        }
                        return new Events(executionStarted, iterationStarted, firstLlm, event, arrived,
                                arrivedAt);
                    }
                    default -> {
                        if (FAILURES.contains(type)) {
                            throw new IllegalStateException("execution " + executionId + " ended with " + type
                                    + ": " + event);
                        }
                        // tool_call, iteration_output, iteration_completed: not needed for the figures
                    }
                }
            }
        }
        throw new IllegalStateException("the stream of execution " + executionId + " closed before it completed");
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create(base + path)).header("Authorization", "Bearer " + token)
                .timeout(TIMEOUT);
    }

    private static double sinceT0(Instant t0, JsonNode timestamp) {
        Instant at = Instant.parse(timestamp.asText());
        return Duration.between(t0, at).toNanos() / 1e6;
    }
}
