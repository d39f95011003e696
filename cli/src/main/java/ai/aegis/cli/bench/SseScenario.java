package ai.aegis.cli.bench;

import ai.aegis.schemas.json.Json;
import ai.aegis.topology.kafka.KafkaConfigReader;

import java.io.IOException;
import java.io.PrintStream;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Latency of {@code POST /v1/executions} to the {@code execution_started} frame on the execution's stream, with a
 * pooled client against a fresh one; and how much later than a plain Kafka consumer the stream delivers the same
 * events.
 */
final class SseScenario {

    /** A frame that arrived while the stream was open: its data and its arrival (µs since the epoch). */
    private record Live(String data, long arrivedMicros) {
    }

    /** One run: request to execution_started (ms), the stream's frames, and when it said it was connected. */
    private record Run(double startedMs, long connectedMicros, List<Live> frames) {
    }

    /** Longer than any run should take; checked per line, and heartbeats come even when nothing else does. */
    private static final Duration RUN_LIMIT = Duration.ofSeconds(120);

    private SseScenario() {
    }

    static ScenarioResult run(ScenarioOptions options, String servers, Path dir, PrintStream out)
            throws IOException, InterruptedException {
        Percentiles pooledStarted = new Percentiles();
        Percentiles freshStarted = new Percentiles();
        List<Double> ratio = new ArrayList<>();
        Percentiles sseDelivery = new Percentiles();
        Percentiles tapDelivery = new Percentiles();
        Percentiles extraDelivery = new Percentiles();
        List<String> notes = new ArrayList<>();
        String timestampType;
        try (ScenarioSystem system = ScenarioSystem.start(servers, "sse", true, KafkaConfigReader.DEFAULT_PARTITIONS, dir);
             EventsTap tap = new EventsTap(system.bootstrapServers(), system.eventsTopic())) {
            HttpClient pooled = client();
            try {
                // one run of each kind first, not counted: class loading, JIT, the first sandbox
                run(system, pooled, system.clockAgent());
                try (HttpClient fresh = client()) {
                    run(system, fresh, system.clockAgent());
                }
                for (int rep = 1; rep <= options.repeats(); rep++) {
                    tap.clear();
                    List<Double> pooledMs = new ArrayList<>();
                    List<Double> freshMs = new ArrayList<>();
                    List<Run> runs = new ArrayList<>();
                    // alternating, so that whatever happens on the machine meanwhile touches both kinds alike
                    for (int i = 0; i < options.runs(); i++) {
                        Run p = run(system, pooled, system.clockAgent());
                        pooledMs.add(p.startedMs());
                        runs.add(p);
                        try (HttpClient fresh = client()) {
                            Run f = run(system, fresh, system.clockAgent());
                            freshMs.add(f.startedMs());
                            runs.add(f);
                        }
                    }
                    Summary ps = pooledStarted.add(pooledMs);
                    Summary fs = freshStarted.add(freshMs);
                    ratio.add(fs.median() / ps.median());
                    List<Double> sse = new ArrayList<>();
                    List<Double> plain = new ArrayList<>();
                    List<Double> extra = new ArrayList<>();
                    int unmatched = delivery(tap, runs, sse, plain, extra);
                    if (unmatched > 0) {
                        notes.add("Repetition " + rep + ": " + unmatched + " frame(s) not seen by the plain "
                                + "consumer within 10 s were left out of the delivery figures.");
                    }
                    Summary ss = sseDelivery.add(sse);
                    Summary ts = tapDelivery.add(plain);
                    extraDelivery.add(extra);
                    out.printf(Locale.ROOT, "bench sse: %d/%d: to execution_started p50 pooled %s ms, fresh %s ms; "
                            + "after Kafka p50 SSE %s ms, plain consumer %s ms (%d events)%n", rep,
                            options.repeats(), Report.ms(ps.median()), Report.ms(fs.median()),
                            Report.ms(ss.median()), Report.ms(ts.median()), sse.size());
                }
            } finally {
                pooled.close();
            }
            timestampType = tap.timestampType() == null ? "unknown" : tap.timestampType().toString();
        }
        int runs = options.runs();
        List<Figure> figures = List.of(
                new Figure("POST → execution_started, pooled client: p50", "ms", pooledStarted.p50(), "from just before "
                        + "the POST to the arrival of the `execution_started` frame, the stream opened on the same "
                        + "client right after the POST answered (its keep-alive connection reused); " + runs
                        + " runs per repetition"),
                new Figure("POST → execution_started, pooled client: p99", "ms", pooledStarted.p99(), "the same, 99th "
                        + "percentile"),
                new Figure("POST → execution_started, fresh client: p50", "ms", freshStarted.p50(), "the same with a new "
                        + "`HttpClient` per run: a TCP connect before the POST, the stream on that connection"),
                new Figure("POST → execution_started, fresh client: p99", "ms", freshStarted.p99(), "the same, 99th "
                        + "percentile"),
                new Figure("fresh p50 / pooled p50", "×", ratio, "what a new connection costs on this path"),
                new Figure("record → SSE frame: p50", "ms", sseDelivery.p50(), "from the event record's timestamp (" +
                        timestampType + ", written by the worker in this JVM) to the frame's arrival on the "
                        + "stream; every event of every run that was written while its stream was open"),
                new Figure("record → SSE frame: p99", "ms", sseDelivery.p99(), "the same, 99th percentile"),
                new Figure("record → plain KafkaConsumer: p50", "ms", tapDelivery.p50(), "the same records, arrival at a "
                        + "plain consumer of the events topic (default fetch settings) in the same JVM"),
                new Figure("record → plain KafkaConsumer: p99", "ms", tapDelivery.p99(), "the same, 99th percentile"),
                new Figure("SSE frame − plain consumer, per event: p50", "ms", extraDelivery.p50(), "the API's own share: "
                        + "its tail of the topic, the view, the stream's wake-up and the HTTP write"));
        String setup = "The whole system with a worker on the process runtime; the agent is the sandbox benchmark's "
                + "(one iteration, `cmd.run date +%s%N`, then an answer). Each run posts one execution, opens its "
                + "stream (`GET /v1/executions/{id}/stream`, Bearer token) and reads it to `execution_completed`, "
                + "one execution at a time, pooled and fresh runs alternating. A plain `KafkaConsumer` on the "
                + "events topic runs in the same JVM throughout. Delivery figures use wall-clock arrival "
                + "(µs) against the records' millisecond timestamps: both sides carry the same truncation, so "
                + "their difference is fair even where a single value is up to 1 ms off.";
        return new ScenarioResult("sse", setup, figures, notes);
    }

    private static HttpClient client() {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5))
                .build();
    }

    /** Posts one execution, follows its stream to execution_completed. */
    private static Run run(ScenarioSystem system, HttpClient http, String agentId)
            throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        String id = system.startExecution(http, agentId);
        HttpResponse<Stream<String>> res = http.send(system.request("/v1/executions/" + id + "/stream")
                .header("Accept", "text/event-stream").GET().build(), HttpResponse.BodyHandlers.ofLines());
        if (res.statusCode() != 200) {
            throw new IllegalStateException("the stream of " + id + " answered " + res.statusCode());
        }
        double startedMs = Double.NaN;
        long connected = -1;
        List<Live> frames = new ArrayList<>();
        try (Stream<String> lines = res.body()) {
            Iterator<String> it = lines.iterator();
            while (it.hasNext()) {
                String line = it.next();
                long arrived = System.nanoTime();
                if (arrived - t0 > RUN_LIMIT.toNanos()) {
                    throw new IllegalStateException("execution " + id + " did not complete within "
                            + RUN_LIMIT.toSeconds() + " s");
                }
                long wall = EventsTap.nowMicros();
                if (connected < 0 && line.startsWith(": connected")) {
                    connected = wall;
                }
                if (!line.startsWith("data:")) {
                    continue;
                }
                String data = line.substring(5).strip();
                frames.add(new Live(data, wall));
                String type = Json.tree(data).fieldNames().next();
                if (type.equals("execution_started")) {
                    startedMs = (arrived - t0) / 1e6;
                } else if (type.equals("execution_completed")) {
                    if (Double.isNaN(startedMs)) {
                        throw new IllegalStateException("execution " + id + " completed without execution_started");
                    }
                    return new Run(startedMs, connected, frames);
                } else if (ExecutionProbe.FAILURES.contains(type)) {
                    throw new IllegalStateException("execution " + id + " ended with " + type + ": " + data);
                }
            }
        }
        throw new IllegalStateException("the stream of execution " + id + " closed before it completed");
    }

    /**
     * Pairs each frame that was live (its record written after the stream said it was connected) with the tap's
     * sighting of the same record. @return how many live frames the tap never saw
     */
    private static int delivery(EventsTap tap, List<Run> runs, List<Double> sse, List<Double> plain,
                                List<Double> extra) throws InterruptedException {
        int unmatched = 0;
        for (Run run : runs) {
            for (Live frame : run.frames()) {
                Optional<EventsTap.Seen> seen = tap.await(frame.data(), Duration.ofSeconds(10));
                if (seen.isEmpty()) {
                    unmatched++;
                    continue;
                }
                long recordMicros = seen.get().timestampMs() * 1000;
                if (recordMicros < run.connectedMicros()) {
                    continue; // written before the stream was open: it came as history, not as a live event
                }
                sse.add((frame.arrivedMicros() - recordMicros) / 1000.0);
                plain.add((seen.get().arrivedMicros() - recordMicros) / 1000.0);
                extra.add((frame.arrivedMicros() - seen.get().arrivedMicros()) / 1000.0);
            }
        }
        if (sse.isEmpty()) {
            throw new IllegalStateException("no event was written while its stream was open");
        }
        return unmatched;
    }
}
