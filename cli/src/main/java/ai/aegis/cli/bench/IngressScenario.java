package ai.aegis.cli.bench;

import ai.aegis.topology.kafka.KafkaConfigReader;

import java.io.IOException;
import java.io.PrintStream;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * Throughput of {@code POST /v1/executions} against {@code GET /health} on a system without a worker, so that every
 * accepted execution stays pending; then {@code POST} again once {@code --pending} executions are pending.
 */
final class IngressScenario {

    /** How many measurements long the POST's uncounted warm-up is. */
    private static final int WARM_UP_POST_LENGTHS = 3;

    private IngressScenario() {
    }

    static ScenarioResult run(ScenarioOptions options, String servers, Path dir, PrintStream out)
            throws IOException, InterruptedException {
        Duration warmup = Duration.ofSeconds(options.warmupSeconds());
        Duration length = Duration.ofSeconds(options.seconds());
        List<Load.Counts> health = new ArrayList<>();
        List<Load.Counts> post = new ArrayList<>();
        List<Load.Counts> loaded = new ArrayList<>();
        long pendingAtStart;
        long accepted;
        try (ScenarioSystem system = ScenarioSystem.start(servers, "ingress", false,
                KafkaConfigReader.DEFAULT_PARTITIONS, dir, admissionAbove(options.pending()))) {
            Supplier<HttpRequest> get = () -> system.request("/health").GET().build();
            String body = ScenarioSystem.startBody(system.clockAgent());
            Supplier<HttpRequest> start = () -> system.request("/v1/executions")
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build();
            Load load = new Load(options.connections());
            try {
                // A whole round first, not counted: on a fresh JVM the broker's, the server's and the client's
                // paths are still being compiled for a minute or so, and a POST runs far more of them than a GET,
                // so a cold first repetition measures the JIT more than the ingress (as JMH's warm-up iterations).
                // The POST's warm-up is three measurements long: its throughput still climbs through the first
                // repetitions otherwise (and reaches in the backlog phase, after the pre-fill, what the later ones
                // reach).
                Load.Counts warmGet = load.measure(get, warmup, length);
                Load.Counts warmPost = load.measure(start, warmup, length.multipliedBy(WARM_UP_POST_LENGTHS));
                out.printf(Locale.ROOT, "bench ingress: warm-up round (not counted): GET /health %.0f req/s, POST "
                        + "/v1/executions %.0f req/s%n", warmGet.okPerSecond(), warmPost.okPerSecond());
                long warmAccepted = warmPost.ok();
                // side by side: each repetition measures both, so drift on the machine touches both alike
                for (int i = 1; i <= options.repeats(); i++) {
                    health.add(load.measure(get, warmup, length));
                    post.add(load.measure(start, warmup, length));
                    out.printf(Locale.ROOT, "bench ingress: %d/%d: GET /health %.0f req/s, POST /v1/executions "
                            + "%.0f req/s%n", i, options.repeats(), health.getLast().okPerSecond(),
                            post.getLast().okPerSecond());
                }
                // every 2xx POST so far is an execution that stays pending: there is no worker
                accepted = warmAccepted + post.stream().mapToLong(Load.Counts::ok).sum();
                accepted += prefill(load, start, options.pending() - accepted, out);
                pendingAtStart = accepted;
                for (int i = 1; i <= options.repeats(); i++) {
                    loaded.add(load.measure(start, warmup, length));
                    out.printf(Locale.ROOT, "bench ingress: %d/%d: POST /v1/executions with %d+ pending %.0f "
                            + "req/s%n", i, options.repeats(), pendingAtStart, loaded.getLast().okPerSecond());
                }
            } finally {
                load.close();
            }
        }
        List<Figure> figures = new ArrayList<>();
        figures.add(new Figure("GET /health", "req/s", Load.Counts.perSecond(health), "2xx answers per second of the "
                + "unauthenticated liveness probe: the HTTP stack, routing and JSON alone"));
        figures.add(new Figure("POST /v1/executions, before the pre-fill", "req/s", Load.Counts.perSecond(post), "2xx answers "
                + "per second: body parsed and checked, agent looked up, request written durably to Kafka "
                + "(acks=all) before the answer, folded into the node's view (the executions the warm-up and the "
                + "earlier measurements accepted stay pending)"));
        figures.add(new Figure("POST / GET", "×", Load.Counts.ratios(post, health), "the first over the second, per "
                + "repetition: what validation and the durable write cost against the bare HTTP path"));
        figures.add(new Figure("POST /v1/executions, " + pendingAtStart + "+ pending", "req/s", Load.Counts.perSecond(loaded),
                "the same POST once that many executions are pending (no worker takes them)"));
        figures.add(new Figure("POST after the pre-fill / POST before it", "×", Load.Counts.ratios(loaded, post),
                "whether a large backlog slows the accepting path down"));
        for (var phase : List.of(new Phase("GET /health", health), new Phase("POST, before the pre-fill", post),
                new Phase("POST, " + pendingAtStart + "+ pending", loaded))) {
            figures.add(new Figure(phase.name() + ": 429 answers", "count", counts(phase.counts(),
                    Load.Counts::tooMany), "per measurement: refused by admission control"));
            figures.add(new Figure(phase.name() + ": 503 answers", "count", counts(phase.counts(),
                    Load.Counts::unavailable), "per measurement: Kafka not accepting writes, or admission control"));
            figures.add(new Figure(phase.name() + ": other non-2xx or no answer", "count", counts(phase.counts(),
                    c -> c.otherStatus() + c.failed()), "per measurement: any other status, or a request that got "
                    + "no answer (reset, timeout)"));
        }
        String setup = String.format(Locale.ROOT, "The system without a worker (workflow engine, approvals, API), "
                + "so every accepted execution stays pending. %d virtual threads share one `java.net.http` client "
                + "(HTTP/1.1, keep-alive: one connection per thread), each sending one request after another: "
                + "closed-loop load. A first round is run and not counted (the JIT's warm-up on a fresh JVM): one "
                + "GET measurement and a POST load " + WARM_UP_POST_LENGTHS + " measurements long. Each measurement runs %d s after %d s of the same load not counted. The "
                + "client runs in the same JVM as the system and shares its cores, so the figures are what this "
                + "machine sustains for both sides together, a lower bound for the server alone. The pre-fill "
                + "posted until %d executions had been accepted in total (the measurements' own included).",
                options.connections(), options.seconds(), options.warmupSeconds(), pendingAtStart);
        List<String> notes = new ArrayList<>();
        Map<Integer, String> refusals = new TreeMap<>();
        Stream.of(health, post, loaded).flatMap(List::stream).forEach(c -> c.firstAnswers().forEach(
                refusals::putIfAbsent));
        refusals.forEach((status, body) -> notes.add("A " + status + " answer said: `" + body.replace('`', '\'')
                + "`"));
        notes.add("Admission control's bounds (`aegis.ingress.max-pending-executions`, `max-pending-per-agent`) are "
                + "raised above the pre-fill for this scenario, so that it measures the view under that backlog; "
                + "with the defaults (10 000, 2 000 per agent) the same load is answered 429 past 2 000 pending "
                + "(IngressBacklogTest proves the refusals).");
        return new ScenarioResult("ingress", setup, figures, notes);
    }

    /** Admission bounds the pre-fill and the measurements cannot reach. */
    private static Map<String, String> admissionAbove(int pending) {
        String bound = Integer.toString(Math.max(pending, 1) * 4 + 1_000_000);
        return Map.of("aegis.ingress.max-pending-executions", bound, "aegis.ingress.max-pending-per-agent", bound);
    }

    private record Phase(String name, List<Load.Counts> counts) {
    }

    /** Posts until {@code missing} more executions were accepted; prints progress. @return how many were */
    private static long prefill(Load load, Supplier<HttpRequest> start, long missing, PrintStream out)
            throws InterruptedException {
        if (missing <= 0) {
            return 0;
        }
        AtomicLong sent = new AtomicLong();
        long t0 = System.nanoTime();
        AtomicLong lastPrint = new AtomicLong(t0);
        // counting sends, not answers, stops within a few requests of the target; the answers are counted after
        Load.Counts counts = load.run(start, () -> {
            long now = System.nanoTime();
            long last = lastPrint.get();
            if (now - last > 5_000_000_000L && lastPrint.compareAndSet(last, now)) {
                out.printf(Locale.ROOT, "bench ingress: pre-fill %d/%d (%.0f s)%n", sent.get(), missing,
                        (now - t0) / 1e9);
            }
            return sent.incrementAndGet() > missing;
        });
        out.printf(Locale.ROOT, "bench ingress: pre-fill: %d more accepted in %.0f s%n", counts.ok(), counts.seconds());
        return counts.ok();
    }



    private static List<Double> counts(List<Load.Counts> counts, java.util.function.ToLongFunction<Load.Counts> f) {
        return counts.stream().map(c -> (double) f.applyAsLong(c)).toList();
    }
}
