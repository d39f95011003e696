package ai.aegis.cli.bench;

import ai.aegis.topology.kafka.KafkaConfigReader;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Signed webhooks through the whole path against {@code GET /health} on the same server, side by side: the plain
 * delivery ({@code 200} once the stimulus is durable, deduplicated and routed to a workflow, the answer back over
 * Kafka), and the same with {@code Prefer: respond-async} ({@code 202} once it is durable). Each is measured closed
 * loop (the rate {@code --connections} requests in flight sustain, with its latencies), then open loop at half that
 * rate (latencies from each request's scheduled time). The system runs without a worker, so every run a webhook
 * starts waits at its first step and costs nothing after its start.
 */
final class WebhookScenario {

    /** The webhook source of the benchmark: its secret is configured, its stimuli routed to {@link #WORKFLOW}. */
    static final String SOURCE = "bench";
    private static final String WORKFLOW = "bench-webhooks-flow";
    /** Distinct bodies, each signed once before the first measurement; they come round again after that many. */
    private static final int BODIES = 16_384;
    /** How long the stages may go without starting one more run before a measurement starts anyway. */
    private static final Duration STALL = Duration.ofSeconds(60);
    /** What the routing stage's runs wait at: an agent step nobody takes (no worker). */
    private static final String WORKFLOW_MANIFEST = """
            apiVersion: 100monkeys.ai/v1
            kind: Workflow
            metadata: {name: %s, version: "1.0.0", description: "started by the webhook benchmark"}
            spec:
              initial_state: take
              states:
                take:
                  kind: Agent
                  agent: %s
                  input: "{{workflow.input}}"
                  transitions: []
            """;

    /**
     * What a profile and an experiment beside the benchmark found (not measured by each run: they say why the
     * figures are what they are on this machine, and are kept with the section for that reason).
     */
    private static final List<String> FINDINGS = List.of(
            "Why the routed webhook waits for commits: its 200 is the routing stage's reply, which a "
                    + "`read_committed` reader sees only once two exactly-once Kafka Streams stages have committed, "
                    + "deduplication and then routing. With Kafka Streams' default `commit.interval.ms` under "
                    + "`exactly_once_v2` (100 ms) a first run on 2026-12-01 measured 145 req/s closed loop at a p50 "
                    + "of 235 ms with the JVM under half a core: the commits were the floor, whatever the ingress "
                    + "did. The stimulus stages now commit every 10 ms (`aegis.stimuli.commit-interval-ms`), which "
                    + "this section measures; a shorter interval buys latency with more transactions.",
            "Where the CPU goes under respond-async: a JFR profile of one run (`AEGIS_JAVA_OPTS="
                    + "-XX:StartFlightRecording=settings=profile`, 8 s measurements, 2026-12-01) put, in the "
                    + "closed loop, about 28% of the CPU samples in the workflow engine's stream thread, 16% in "
                    + "deduplication, 13% in routing, 15% in the broker and 10% in the node's tails (folding the "
                    + "runs and their executions into its views), against about 5% in the HTTP handlers and 1-2% "
                    + "in the producer. The 202 path is cheap; its rate here is what the two cores leave it once "
                    + "the stages that follow each webhook have taken their share, in this JVM. A deployment that "
                    + "runs the workflow engine (and with it the stimulus stages) apart from the ingress nodes "
                    + "leaves the intake its cores; this benchmark does not measure that.",
            "The tail of respond-async: in the same profile, G1 young collections paused the JVM for 35-70 ms "
                    + "several times per measurement (the broker, the stages, the views and the client share one "
                    + "heap and two cores); in the open loop every request due during a pause counts it, which "
                    + "is what puts its p99 far above its p50.",
            "The baseline is bound by the client: in the same profile about 60% of the samples of the GET "
                    + "/health closed loop were in the `java.net.http` client and the load threads, about 10% in "
                    + "the server's handlers. The ratios compare with what this client drives, not with what "
                    + "the server could answer, which flatters them.");

    /** One kind of request, and what each repetition measured of it. */
    private record Kind(String name, Load.Target target, boolean startsRuns, List<Load.Counts> closed,
                        List<Load.Counts> open, List<Double> closedCatchUp, List<Double> openCatchUp) {

        Kind(String name, Load.Target target, boolean startsRuns) {
            this(name, target, startsRuns, new ArrayList<>(), new ArrayList<>(), new ArrayList<>(),
                    new ArrayList<>());
        }
    }

    private WebhookScenario() {
    }

    static ScenarioResult run(ScenarioOptions options, String servers, Path dir, PrintStream out)
            throws IOException, InterruptedException {
        Duration warmup = Duration.ofSeconds(options.warmupSeconds());
        Duration length = Duration.ofSeconds(options.seconds());
        byte[] secret = new byte[32];
        new SecureRandom().nextBytes(secret);
        String secretText = HexFormat.of().formatHex(secret);
        // The source's rate limit (aegis.stimuli.rate-limit-per-second, 1000 by default) is lifted for the
        // benchmark's source: with it, a saturating load measures the limiter's 429s instead of the path.
        Map<String, String> settings = Map.of("aegis.webhooks.sources." + SOURCE + ".secrets", secretText,
                "aegis.stimuli.rate-limits." + SOURCE, "0");
        List<String> notes = new ArrayList<>();
        List<Kind> kinds;
        long sent;
        double started;
        try (ScenarioSystem system = ScenarioSystem.start(servers, "webhooks", false,
                KafkaConfigReader.DEFAULT_PARTITIONS, dir, settings);
             HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            system.registerWorkflow(http, WORKFLOW_MANIFEST.formatted(WORKFLOW, system.clockAgent()));
            system.route(http, SOURCE, WORKFLOW);
            Deliveries deliveries = new Deliveries(system.base(), secretText, BODIES);
            Supplier<HttpRequest> health = () -> system.request("/health").GET().build();
            kinds = List.of(
                    new Kind("GET /health", Load.Target.only(health, 200), false),
                    new Kind("webhook (200, routed)", Load.Target.only(() -> deliveries.next(false), 200), true),
                    new Kind("webhook, respond-async (202)", Load.Target.only(() -> deliveries.next(true), 202),
                            true));
            Load load = new Load(options.connections());
            try {
                // A whole round first, not counted: on a fresh JVM the paths of the server, the stages and the
                // client are still being compiled (as JMH's warm-up iterations).
                round(kinds, load, warmup, length, system, http, deliveries, null, out, notes);
                // side by side: each repetition measures the three, so drift on the machine touches them alike
                for (int i = 1; i <= options.repeats(); i++) {
                    round(kinds, load, warmup, length, system, http, deliveries, i + "/" + options.repeats(), out,
                            notes);
                }
            } finally {
                load.close();
            }
            sent = deliveries.sent();
            started = system.gauge(http, "aegis_executions_pending");
        }
        Kind get = kinds.get(0);
        List<Figure> figures = new ArrayList<>();
        for (Kind k : kinds) {
            figures.add(new Figure(k.name() + ", closed loop", "req/s", each(k.closed(), Load.Counts::okPerSecond),
                    "answers with the expected status per second, " + options.connections() + " requests in flight"
                            + (k == get ? "" : "; each answered by its own status, other ones are errors (below)")));
            figures.add(new Figure(k.name() + ", closed loop: p50", "ms", each(k.closed(), c -> latency(c, Summary::median)),
                    "from just before the send to the answer"));
            figures.add(new Figure(k.name() + ", closed loop: p99", "ms", each(k.closed(), c -> latency(c, Summary::p99)),
                    "the same, 99th percentile"));
            figures.add(new Figure(k.name() + ", closed loop: JVM CPU", "cores", each(k.closed(),
                    Load.Counts::cores), "CPU time of this JVM (system, broker and client) over the measurement's "
                    + "wall time, of " + Runtime.getRuntime().availableProcessors() + " cores"));
            figures.add(new Figure(k.name() + ", open loop at half that rate", "req/s", each(k.open(),
                    Load.Counts::okPerSecond), "expected answers per second when the requests are sent on a fixed "
                    + "timetable at half the same repetition's closed-loop rate"));
            figures.add(new Figure(k.name() + ", open loop: p50", "ms", each(k.open(), c -> latency(c, Summary::median)),
                    "from each request's scheduled send time to its answer (a request sent late because its "
                            + "connection was still busy counts the wait)"));
            figures.add(new Figure(k.name() + ", open loop: p99", "ms", each(k.open(), c -> latency(c, Summary::p99)),
                    "the same, 99th percentile"));
        }
        Kind routed = kinds.get(1);
        Kind async = kinds.get(2);
        figures.add(new Figure(routed.name() + " / GET /health", "×", Load.Counts.ratios(routed.closed(), get.closed()),
                "closed-loop rates, per repetition: what the whole path costs against the bare HTTP path"));
        figures.add(new Figure(async.name() + " / GET /health", "×", Load.Counts.ratios(async.closed(), get.closed()),
                "the same for the answer once durable"));
        for (Kind k : kinds) {
            figures.add(new Figure(k.name() + ": errors, closed loop", "count", each(k.closed(),
                    c -> (double) c.errors()), "per measurement: any other status than the expected one, or no "
                    + "answer (reset, timeout)"));
            figures.add(new Figure(k.name() + ": errors, open loop", "count", each(k.open(),
                    c -> (double) c.errors()), "the same, in the open loop"));
        }
        for (Kind k : List.of(routed, async)) {
            figures.add(new Figure(k.name() + ": catch-up after the closed loop", "s", k.closedCatchUp(), "from "
                    + "the end of the load until every webhook sent so far had its run started (the workflow "
                    + "engine's execution request in this node's view): the stages' and the engine's backlog"));
            figures.add(new Figure(k.name() + ": catch-up after the open loop", "s", k.openCatchUp(), "the same "
                    + "after the open loop"));
        }
        String setup = String.format(Locale.ROOT, """
                The system without a worker (workflow engine with the stimulus stages, approvals, API). Source \
                `%s` has a secret (`aegis.webhooks.sources.%s.secrets`, the default `aegis` scheme) and a direct \
                route (`PUT /v1/stimuli/routes/%s`) to a registered workflow of one Agent state, so every accepted \
                webhook starts a run, which then waits at that step: no worker takes its execution. A waiting run \
                is not worked on again (an Agent step has no timer, and only finished runs have a retention \
                timer), so the runs that pile up cost memory and store space, not work, in the measurements that \
                follow; with a worker, each would start a sandbox on the same two cores. Three requests, measured in turn in each repetition on the same server: \
                `GET /health` (the unauthenticated liveness probe, the cheapest route there is: HTTP, routing, a \
                constant JSON answer); `POST /v1/webhooks/%s` signed `X-Aegis-Signature: sha256=<hex>` (HMAC-SHA256 \
                of the raw body, checked by the server on every request), answered `200` once the stimulus is \
                written (acks=all), passed the deduplication stage and routed, the answer coming back over Kafka; \
                and the same with `Prefer: respond-async`, answered `202` once the write is acknowledged. Every \
                request has its own `X-Idempotency-Key`. %d distinct JSON bodies of about %d bytes were signed \
                before the first measurement, and each request takes the next one (so signing costs the \
                measurement nothing); they come round again every %d requests, which the `aegis` scheme allows \
                (it signs the body only and has no replay guard: the idempotency key, unsigned, decides what is a \
                new delivery, and every key is new). Closed loop: %d virtual threads share one `java.net.http` \
                client (HTTP/1.1, keep-alive), each sending one request after another. Open loop: the same threads \
                send on a fixed timetable at half the closed-loop rate that repetition measured for the same \
                request, and each latency runs from the request's scheduled time (no coordinated omission). Each \
                measurement runs %d s after %d s of the same load not counted; a first round of all six is run and \
                not counted (the JIT's warm-up). After each webhook measurement the next one waits until every \
                run sent so far has started (the catch-up figures), so a backlog in the stages never spills into \
                the next measurement. Only the expected status counts: `200` for the plain delivery, `202` for \
                respond-async, `200` for GET; every other answer, or none, is an error. The client runs in the \
                same JVM as the system and shares its cores.""",
                SOURCE, SOURCE, SOURCE, SOURCE, BODIES, Deliveries.bodyLength(), BODIES, options.connections(),
                options.seconds(), options.warmupSeconds());
        notes.add("Webhooks sent in all (the warm-up round included): " + sent + "; workflow runs started (pending "
                + "executions in the node's view at the end): " + (long) started + ".");
        for (Kind k : kinds) {
            // Little's law: with a fixed number in flight, the rate is that number over the latency; when that
            // explains the rate and the cores are not all busy, the closed loop measured latency, not capacity
            double p50 = Summary.of(each(k.closed(), c -> latency(c, Summary::median))).median();
            notes.add(String.format(Locale.ROOT, "%s, closed loop: %d in flight / p50 %s ms ≈ %.0f req/s, against "
                    + "%.0f measured, with the JVM at %.2f of %d cores (medians).", k.name(), options.connections(),
                    Report.ms(p50), options.connections() / (p50 / 1000), Summary.of(each(k.closed(),
                            Load.Counts::okPerSecond)).median(), Summary.of(each(k.closed(), Load.Counts::cores))
                            .median(), Runtime.getRuntime().availableProcessors()));
        }
        notes.add(aim("full path / trivial", figures, routed.name() + " / GET /health", 0.5, true));
        notes.add(aim("respond-async / trivial", figures, async.name() + " / GET /health", 0.7, true));
        for (Kind k : kinds) {
            notes.add(aim("p99 at half rate, " + k.name(), figures, k.name() + ", open loop: p99", 50, false));
        }
        Map<Integer, String> refusals = new TreeMap<>();
        kinds.stream().flatMap(k -> java.util.stream.Stream.concat(k.closed().stream(), k.open().stream()))
                .forEach(c -> c.firstAnswers().forEach(refusals::putIfAbsent));
        refusals.forEach((status, body) -> notes.add("A " + status + " answer said: `" + body.replace('`', '\'')
                + "`"));
        notes.addAll(FINDINGS);
        return new ScenarioResult("webhooks", setup, figures, notes);
    }

    /**
     * One round: each kind closed loop, then each at half its rate open loop; after each that starts runs, waits
     * until the stages have started every one.
     *
     * @param label "i/n", or null for the warm-up round (not counted)
     */
    private static void round(List<Kind> kinds, Load load, Duration warmup, Duration length, ScenarioSystem system,
                              HttpClient http, Deliveries deliveries, String label, PrintStream out,
                              List<String> notes) throws IOException, InterruptedException {
        List<Load.Counts> closed = new ArrayList<>();
        for (Kind k : kinds) {
            Load.Counts c = load.measure(k.target(), warmup, length);
            double catchUp = k.startsRuns() ? catchUp(system, http, deliveries, notes) : 0;
            closed.add(c);
            print(out, label, k.name() + ", closed loop", c, catchUp);
            if (label != null) {
                k.closed().add(c);
                if (k.startsRuns()) {
                    k.closedCatchUp().add(catchUp);
                }
            }
        }
        for (int i = 0; i < kinds.size(); i++) {
            Kind k = kinds.get(i);
            // at least one a second: a closed loop that got no expected answer still leaves its open loop a rate
            double rate = Math.max(closed.get(i).okPerSecond() / 2, 1);
            Load.Counts c = load.paced(k.target(), rate, warmup, length);
            double catchUp = k.startsRuns() ? catchUp(system, http, deliveries, notes) : 0;
            print(out, label, String.format(Locale.ROOT, "%s, open loop at %.0f req/s", k.name(), rate), c, catchUp);
            if (label != null) {
                k.open().add(c);
                if (k.startsRuns()) {
                    k.openCatchUp().add(catchUp);
                }
            }
        }
    }

    private static void print(PrintStream out, String label, String what, Load.Counts c, double catchUp) {
        out.printf(Locale.ROOT, "bench webhooks: %s: %s: %.0f req/s, p50 %s ms, p99 %s ms, %d errors, %.2f cores%s%n",
                label == null ? "warm-up (not counted)" : label, what, c.okPerSecond(),
                c.latency() == null ? "-" : Report.ms(c.latency().median()),
                c.latency() == null ? "-" : Report.ms(c.latency().p99()), c.errors(), c.cores(),
                catchUp > 0 ? String.format(Locale.ROOT, ", caught up %.1f s later", catchUp) : "");
    }

    /**
     * Waits until every webhook sent so far has its run started: each run's first step is an execution request
     * that stays pending, so the node's pending count reaches the deliveries sent. Gives up (with a note) once the
     * count has not moved for {@link #STALL}: a delivery that was refused never starts one. @return seconds waited
     */
    private static double catchUp(ScenarioSystem system, HttpClient http, Deliveries deliveries, List<String> notes)
            throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        long target = deliveries.sent();
        double pending = system.gauge(http, "aegis_executions_pending");
        long lastMove = t0;
        while (pending < target && System.nanoTime() - lastMove < STALL.toNanos()) {
            Thread.sleep(100); // a metrics poll; the stages need seconds, not milliseconds
            double now = system.gauge(http, "aegis_executions_pending");
            if (now != pending) {
                lastMove = System.nanoTime();
            }
            pending = now;
        }
        if (pending < target) {
            notes.add("After " + target + " webhooks only " + (long) pending + " runs had started, and none more "
                    + "for " + STALL.toSeconds() + " s: the next measurement started anyway.");
        }
        return (System.nanoTime() - t0) / 1e9;
    }

    /** The median of a figure against an aim, in words. */
    private static String aim(String what, List<Figure> figures, String figure, double aim, boolean above) {
        Figure f = figures.stream().filter(x -> x.name().equals(figure)).findFirst().orElseThrow();
        double median = f.summary().median();
        boolean met = above ? median > aim : median < aim;
        return String.format(Locale.ROOT, "Aim: %s %s %s %s: %s (median %s).", what, above ? "above" : "below",
                f.unit().equals("ms") ? Report.ms(aim) : String.format(Locale.ROOT, "%.1f", aim),
                f.unit().equals("ms") ? "ms" : "×", met ? "met" : "**missed**",
                f.unit().equals("ms") ? Report.ms(median) + " ms" : String.format(Locale.ROOT, "%.2f", median));
    }

    /** A percentile of the expected answers' latencies; NaN when there was none (every answer an error). */
    private static double latency(Load.Counts c, java.util.function.ToDoubleFunction<Summary> percentile) {
        return c.latency() == null ? Double.NaN : percentile.applyAsDouble(c.latency());
    }

    private static List<Double> each(List<Load.Counts> counts, Function<Load.Counts, Double> f) {
        return counts.stream().map(f).toList();
    }


    /**
     * Signed deliveries for the load: {@code count} distinct bodies, each signed once here, handed out in turn, each
     * request with an idempotency key of its own (a counter). Thread-safe.
     */
    static final class Deliveries {

        private static final String BODY = "{\"event\":\"push\",\"delivery\":%08d,\"ref\":\"refs/heads/main\","
                + "\"repository\":\"aegis/bench\",\"after\":\"%s\",\"pusher\":{\"name\":\"bench\"}}";

        private final URI uri;
        private final byte[][] bodies;
        private final String[] signatures;
        private final String keyPrefix;
        private final AtomicLong sent = new AtomicLong();

        Deliveries(String base, String secret, int count) {
            this.uri = URI.create(base + "/v1/webhooks/" + SOURCE);
            this.bodies = new byte[count][];
            this.signatures = new String[count];
            SecureRandom random = new SecureRandom();
            Mac mac = mac(secret);
            byte[] commit = new byte[20];
            for (int i = 0; i < count; i++) {
                random.nextBytes(commit);
                bodies[i] = BODY.formatted(i, HexFormat.of().formatHex(commit)).getBytes(StandardCharsets.UTF_8);
                signatures[i] = "sha256=" + HexFormat.of().formatHex(mac.doFinal(bodies[i]));
            }
            // a run of its own: keys of another run on the same topics would be duplicates
            this.keyPrefix = "bench-" + Long.toHexString(random.nextLong()) + "-";
        }

        /** The next delivery, {@code Prefer: respond-async} when {@code async}. */
        HttpRequest next(boolean async) {
            long n = sent.getAndIncrement();
            int i = (int) (n % bodies.length);
            HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(120))
                    .header("Content-Type", "application/json")
                    .header("X-Aegis-Signature", signatures[i])
                    .header("X-Idempotency-Key", keyPrefix + n)
                    .POST(HttpRequest.BodyPublishers.ofByteArray(bodies[i]));
            if (async) {
                b.header("Prefer", "respond-async");
            }
            return b.build();
        }

        /** Deliveries handed out so far. */
        long sent() {
            return sent.get();
        }

        /** Bytes of one body. */
        static int bodyLength() {
            return BODY.formatted(0, "0".repeat(40)).length();
        }

        private static Mac mac(String secret) {
            try {
                Mac mac = Mac.getInstance("HmacSHA256");
                mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
                return mac;
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("HmacSHA256 is not available", e);
            }
        }
    }
}
