package ai.aegis.cli.bench;

import ai.aegis.schemas.json.Json;
import ai.aegis.worker.smcp.SmcpRoutes;
import ai.aegis.worker.smcp.crypto.AgentKeys;
import ai.aegis.worker.smcp.crypto.CanonicalJson;
import ai.aegis.worker.smcp.policy.PolicyDecision;
import ai.aegis.worker.smcp.policy.PolicyEngine;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.bouncycastle.crypto.signers.Ed25519Signer;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.Signature;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * {@code aegis bench --scenario smcp}: what checking a signed tool call costs, in one run: the checks one by one
 * (baselines), {@code SmcpService.invoke} in process, and {@code POST /v1/smcp/invoke} over HTTP next to a no-op POST
 * on the same listener. No Kafka and no system: the worker's SMCP service alone, so it has a page of its own
 * ({@code docs/benchmarks-smcp.md}) and is not part of {@code --scenario all}.
 */
public final class SmcpBench {

    /**
     * @param repeats       measured rounds; every figure is measured once per round, side by side
     * @param seconds       length of one measurement
     * @param warmupSeconds length of each measurement of the first round, not counted (0: no such round)
     * @param connections   concurrent HTTP clients
     */
    record Options(Path out, int repeats, int seconds, int warmupSeconds, int connections) {

        /** Pre-signed envelopes carry the time they were signed: all must still be within the skew when used. */
        static final int MAX_SECONDS = 20;

        Options {
            if (repeats < 1 || seconds < 1 || warmupSeconds < 0 || connections < 1) {
                throw new IllegalArgumentException("--repeats, --seconds and --connections must be at least 1, "
                        + "--warmup-seconds at least 0");
            }
            if (seconds > MAX_SECONDS || warmupSeconds > MAX_SECONDS) {
                throw new IllegalArgumentException("--seconds and --warmup-seconds must be at most " + MAX_SECONDS
                        + ": an envelope signed before a measurement must still be within the 30 s skew at its end");
            }
        }

        static Options parse(String[] args) {
            Path out = Path.of("docs", "benchmarks-smcp.md");
            int repeats = 3;
            int seconds = 2;
            int warmup = 1;
            int connections = 16;
            for (Map.Entry<String, String> pair : BenchOptions.pairs(args).entrySet()) {
                String option = pair.getKey();
                String value = pair.getValue();
                switch (option) {
                    case "--out" -> out = Path.of(value);
                    case "--repeats" -> repeats = BenchOptions.number(option, value);
                    case "--seconds" -> seconds = BenchOptions.number(option, value);
                    case "--warmup-seconds" -> warmup = BenchOptions.number(option, value);
                    case "--connections" -> connections = BenchOptions.number(option, value);
                    default -> throw new IllegalArgumentException("unknown bench option '" + option
                            + "' for --scenario smcp (see aegis bench --help)");
                }
            }
            return new Options(out, repeats, seconds, warmup, connections);
        }

        String commandLine() {
            return "./aegis bench --scenario smcp --repeats " + repeats + " --seconds " + seconds
                    + " --warmup-seconds " + warmupSeconds + " --connections " + connections + " --out " + out;
        }
    }

    static String usage() {
        return """
                usage: aegis bench --scenario smcp [--repeats 3] [--seconds 2] [--warmup-seconds 1]
                                   [--connections 16] [--out docs/benchmarks-smcp.md]

                Signed tool calls (SMCP) on the worker's service alone, no Kafka: invocations verified per second
                on 1 thread and on one per processor, next to each check alone (Ed25519 verify with BouncyCastle
                and with the JDK, RS256 token verify, policy, canonical JSON); then POST /v1/smcp/invoke over HTTP
                with --connections clients (req/s, p50/p99) next to a no-op POST on the same listener. A first round
                of --warmup-seconds per measurement is not counted. Its own page; not part of --scenario all.
                """;
    }

    /** An in-process measurement: its rows, one per thread count. */
    private interface Check {
        /** @return the operation for {@code threads} threads, with whatever per-thread state it needs */
        Throughput.Op op(int threads) throws GeneralSecurityException;
    }

    private record Named(String name, Check check) {
    }

    /** The sizes of a typical envelope, for the page: the token's characters, the signed bytes, the request's. */
    private record Sizes(int token, int signed, int request) {
    }

    private static final String BC = "Ed25519 verify, BouncyCastle";
    private static final String JDK = "Ed25519 verify, JDK provider";
    private static final String JWT = "RS256 JWT verify";
    private static final String POLICY = "PolicyEngine.evaluate";
    private static final String CANONICAL = "canonical JSON";
    private static final String INVOKE = "SmcpService.invoke";
    private static final String HTTP_NOOP = "POST " + SmcpFixture.NOOP + " (no-op)";
    private static final String HTTP_INVOKE = "POST " + SmcpRoutes.INVOKE;
    private static final Map<String, String> MEANINGS = Map.of(
            BC, "`AgentKeys.verify`: a new `Ed25519Signer` per call, as the service checks",
            JDK, "`Signature.getInstance(\"Ed25519\")`, one instance per thread (no provider lookup per call), "
                    + "`initVerify` + `update` + `verify`",
            JWT, "`SecurityTokens.verify` of the session's token: parse, RSA-2048 signature, issuer, audience, "
                    + "expiry, claims",
            POLICY, "`fs.read` of a workspace path against the shipped `default` context",
            CANONICAL, "`CanonicalJson.bytes` of what the signature covers (payload, token, timestamp)",
            INVOKE, "the whole check described above, of a fresh envelope per call");

    private SmcpBench() {
    }

    /** @return the exit code: 0 when every call was answered as expected */
    public static int run(String[] args, PrintStream out) {
        Options options = Options.parse(args);
        Machine machine = Machine.describe(null);
        ZonedDateTime at = ZonedDateTime.now();
        int processors = Runtime.getRuntime().availableProcessors();
        List<Integer> threadCounts = processors == 1 ? List.of(1) : List.of(1, processors);
        // keyed by name and thread count, in report order
        Map<String, List<Throughput.Result>> inProcess = new LinkedHashMap<>();
        Map<String, List<Load.Counts>> overHttp = new LinkedHashMap<>();
        Sizes sizes;
        try (SmcpFixture smcp = new SmcpFixture(5_000_000)) {
            sizes = new Sizes(smcp.token.length(), smcp.message.length,
                    Json.writeBytes(smcp.envelope(new Ed25519Signer(), Instant.now())).length);
            List<Named> baselines = baselines(smcp);
            Load load = new Load(options.connections());
            try {
                for (int round = options.warmupSeconds() > 0 ? 0 : 1; round <= options.repeats(); round++) {
                    boolean counted = round > 0;
                    Duration length = Duration.ofSeconds(counted ? options.seconds() : options.warmupSeconds());
                    double invokeRate = 0;
                    for (int threads : threadCounts) {
                        double bcRate = 0;
                        for (Named b : baselines) {
                            Throughput.Result r = Throughput.run(threads, length, Integer.MAX_VALUE,
                                    b.check().op(threads));
                            bcRate = b.name().equals(BC) ? r.perSecond() : bcRate;
                            record(counted, inProcess, b.name(), threads, r);
                        }
                        // invoke verifies one Ed25519 signature and more: BC verify's rate bounds its own
                        int share = (int) (bcRate / threads * length.toSeconds() * 1.2) + 100;
                        ObjectNode[][] pool = sign(smcp, threads, share);
                        Throughput.Result r = Throughput.run(threads, length, share,
                                (t, i) -> {
                                    var answer = smcp.service.invoke(pool[t][i]);
                                    if (answer.status() != 200) {
                                        throw new IllegalStateException(answer.status() + " " + answer.body());
                                    }
                                    return true;
                                });
                        record(counted, inProcess, INVOKE, threads, r);
                        invokeRate = r.perSecond(); // the last thread count's: the most threads
                    }
                    double httpRate = http(smcp, load, options, length, invokeRate, counted, overHttp);
                    out.printf(Locale.ROOT, "bench smcp: %s: invoke %.0f/s on %d thread(s), HTTP %.0f req/s%n",
                            counted ? "round " + round + "/" + options.repeats() : "warm-up (not counted)",
                            invokeRate, threadCounts.getLast(), httpRate);
                }
            } finally {
                load.close();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK has no Ed25519: " + e.getMessage(), e);
        }
        String markdown = markdown(options, machine, at, threadCounts, sizes, inProcess, overHttp);
        try {
            Path parent = options.out().toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Files.writeString(options.out(), markdown);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the report to " + options.out(), e);
        }
        out.println();
        out.print(tables(threadCounts, inProcess, overHttp, options.connections()));
        out.println("Report written to " + options.out().toAbsolutePath());
        // what a failed call said: a figure with errors in it is not the figure of the valid path
        boolean errors = false;
        for (var e : inProcess.entrySet()) {
            for (Throughput.Result r : e.getValue()) {
                if (r.errors() > 0) {
                    errors = true;
                    out.println("bench smcp: " + e.getKey().replace('\u0000', '/') + ": " + r.errors() + " failed, first: "
                            + r.firstError());
                }
            }
        }
        for (var e : overHttp.entrySet()) {
            for (Load.Counts c : e.getValue()) {
                if (c.errors() > 0) {
                    errors = true;
                    out.println("bench smcp: " + e.getKey() + ": " + c.errors() + " not 200: " + c.firstAnswers());
                }
            }
        }
        return errors ? 1 : 0;
    }

    /** Each check alone, on the inputs of one typical envelope (the one the fixture signed). */
    private static List<Named> baselines(SmcpFixture smcp) throws GeneralSecurityException {
        PublicKey jdkKey = smcp.jdkPublicKey();
        var bcKey = smcp.agentKey.generatePublicKey();
        JsonNode arguments = SmcpFixture.arguments();
        return List.of(
                new Named(BC, threads -> (t, i) -> AgentKeys.verify(bcKey, smcp.message, smcp.signature)),
                new Named(JDK, threads -> {
                    Signature[] mine = new Signature[threads];
                    for (int t = 0; t < threads; t++) {
                        mine[t] = Signature.getInstance("Ed25519");
                    }
                    return (t, i) -> {
                        mine[t].initVerify(jdkKey);
                        mine[t].update(smcp.message);
                        return mine[t].verify(smcp.signature);
                    };
                }),
                new Named(JWT, threads -> (t, i) -> smcp.tokens.verify(smcp.token) != null),
                new Named(POLICY, threads -> (t, i) -> PolicyEngine.evaluate(smcp.context, SmcpFixture.TOOL,
                        arguments) instanceof PolicyDecision.Allowed),
                new Named(CANONICAL, threads -> (t, i) -> CanonicalJson.bytes(smcp.signed).length > 0));
    }

    /** {@code share} fresh envelopes per thread, signed now on as many threads (not timed). */
    private static ObjectNode[][] sign(SmcpFixture smcp, int threads, int share) throws InterruptedException {
        ObjectNode[][] pool = new ObjectNode[threads][share];
        Instant now = Instant.now();
        List<Thread> signers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            ObjectNode[] mine = pool[t];
            signers.add(Thread.ofPlatform().start(() -> {
                Ed25519Signer signer = new Ed25519Signer();
                for (int i = 0; i < mine.length; i++) {
                    mine[i] = smcp.envelope(signer, now);
                }
            }));
        }
        for (Thread t : signers) {
            t.join();
        }
        return pool;
    }

    /**
     * The no-op POST, then invoke, each with its own body; invoke's from a pool signed just before.
     *
     * @return invoke's rate over HTTP
     */
    private static double http(SmcpFixture smcp, Load load, Options options, Duration length, double invokeRate,
                             boolean counted, Map<String, List<Load.Counts>> results) throws InterruptedException {
        URI noop = URI.create("http://127.0.0.1:" + smcp.port() + SmcpFixture.NOOP);
        URI invoke = URI.create("http://127.0.0.1:" + smcp.port() + SmcpRoutes.INVOKE);
        byte[] sample = Json.writeBytes(smcp.envelope(new Ed25519Signer(), Instant.now()));
        Load.Counts none = load.measure(Load.Target.only(post(noop, () -> sample), 200), Duration.ZERO, length);
        // over HTTP the same checks cost more than in process: that rate bounds this one
        int size = (int) (Math.max(invokeRate, 1000) * length.toSeconds() * 1.5) + 2 * options.connections();
        byte[][] pool = new byte[size][];
        Ed25519Signer signer = new Ed25519Signer();
        Instant now = Instant.now();
        for (int i = 0; i < size; i++) {
            pool[i] = Json.writeBytes(smcp.envelope(signer, now));
        }
        AtomicInteger next = new AtomicInteger();
        long until = System.nanoTime() + length.toNanos();
        // each thread checks before its request: at most `connections` take one after the check said stop
        Load.Counts signed = load.run(Load.Target.only(post(invoke,
                        () -> pool[Math.min(next.getAndIncrement(), size - 1)]), 200),
                () -> next.get() >= size - options.connections() || System.nanoTime() >= until);
        if (counted) {
            results.computeIfAbsent(HTTP_NOOP, k -> new ArrayList<>()).add(none);
            results.computeIfAbsent(HTTP_INVOKE, k -> new ArrayList<>()).add(signed);
        }
        return signed.okPerSecond();
    }

    private static Supplier<HttpRequest> post(URI uri, Supplier<byte[]> body) {
        return () -> HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.get())).build();
    }

    private static void record(boolean counted, Map<String, List<Throughput.Result>> results, String name,
                               int threads, Throughput.Result r) {
        if (counted) {
            results.computeIfAbsent(key(name, threads), k -> new ArrayList<>()).add(r);
        }
    }

    private static String key(String name, int threads) {
        return name + "\u0000" + threads;
    }

    // ---------------------------------------------------------------- the report

    static String tables(List<Integer> threadCounts, Map<String, List<Throughput.Result>> inProcess,
                         Map<String, List<Load.Counts>> overHttp, int connections) {
        StringBuilder b = new StringBuilder("In process (ops/s over the repetitions; µs/op = threads / rate, the "
                + "mean time of one call on its thread, from the median):\n\n");
        b.append("| measurement | threads | ops/s: min | median | max | µs/op | errors |\n"
                + "|---|---:|---:|---:|---:|---:|---:|\n");
        for (String name : List.of(BC, JDK, JWT, POLICY, CANONICAL, INVOKE)) {
            for (int threads : threadCounts) {
                List<Throughput.Result> results = inProcess.get(key(name, threads));
                Summary s = Summary.of(rates(results));
                long errors = results.stream().mapToLong(Throughput.Result::errors).sum();
                b.append(String.format(Locale.ROOT, "| %s | %d | %.0f | %.0f | %.0f | %.2f | %d |%n", name, threads,
                        s.min(), s.median(), s.max(), threads * 1e6 / s.median(), errors));
            }
        }
        b.append(String.format(Locale.ROOT, "%nOver HTTP (%d concurrent clients, closed loop; latency from just "
                + "before the send to the answer, the median of the repetitions' percentiles):%n%n", connections));
        b.append("| request | req/s: min | median | max | p50 ms | p99 ms | non-200 |\n"
                + "|---|---:|---:|---:|---:|---:|---:|\n");
        for (var e : overHttp.entrySet()) {
            Summary s = Summary.of(Load.Counts.perSecond(e.getValue()));
            double p50 = Summary.of(e.getValue().stream().map(c -> c.latency() == null ? Double.NaN : c.latency().median()).toList()).median();
            double p99 = Summary.of(e.getValue().stream().map(c -> c.latency() == null ? Double.NaN : c.latency().p99()).toList()).median();
            long errors = e.getValue().stream().mapToLong(Load.Counts::errors).sum();
            b.append(String.format(Locale.ROOT, "| %s | %.0f | %.0f | %.0f | %.2f | %.2f | %d |%n", e.getKey(),
                    s.min(), s.median(), s.max(), p50, p99, errors));
        }
        b.append("\nRatios (per repetition, side by side; min / median / max):\n\n| ratio | min | median | max |\n"
                + "|---|---:|---:|---:|\n");
        for (int threads : threadCounts) {
            ratio(b, "Ed25519 verify: BouncyCastle / JDK, " + threads + " thread(s)",
                    rates(inProcess.get(key(BC, threads))), rates(inProcess.get(key(JDK, threads))));
        }
        ratio(b, "HTTP: invoke / no-op", Load.Counts.perSecond(overHttp.get(HTTP_INVOKE)),
                Load.Counts.perSecond(overHttp.get(HTTP_NOOP)));
        int n = threadCounts.getLast();
        ratio(b, "HTTP invoke / in-process invoke on " + n + " threads",
                Load.Counts.perSecond(overHttp.get(HTTP_INVOKE)), rates(inProcess.get(key(INVOKE, n))));
        return b.append('\n').toString();
    }

    private static List<Double> rates(List<Throughput.Result> results) {
        return results.stream().map(Throughput.Result::perSecond).toList();
    }

    private static void ratio(StringBuilder b, String name, List<Double> top, List<Double> bottom) {
        List<Double> r = new ArrayList<>();
        for (int i = 0; i < top.size(); i++) {
            r.add(top.get(i) / bottom.get(i));
        }
        Summary s = Summary.of(r);
        b.append(String.format(Locale.ROOT, "| %s | %.2f | %.2f | %.2f |%n", name, s.min(), s.median(), s.max()));
    }

    /** Median µs per call on one thread. */
    private static double micros(Map<String, List<Throughput.Result>> inProcess, String name) {
        return 1e6 / Summary.of(rates(inProcess.get(key(name, 1)))).median();
    }

    static String markdown(Options options, Machine machine, ZonedDateTime at, List<Integer> threadCounts, Sizes sizes,
                           Map<String, List<Throughput.Result>> inProcess, Map<String, List<Load.Counts>> overHttp) {
        StringBuilder b = new StringBuilder("# Benchmarks: signed tool calls (SMCP)\n\n");
        b.append("Generated by `aegis bench --scenario smcp` on ")
                .append(at.withZoneSameInstant(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm")))
                .append(" UTC. Re-running the command below rewrites this page.\n\n");
        b.append("## How to reproduce\n\n```\n").append(options.commandLine()).append("\n```\n\n");
        b.append("""
                What is measured, all in one JVM and one run, every figure once per repetition (%d), side by side: \
                the worker's SMCP service as `WorkerService` composes it, with the production defaults (the \
                shipped `default` security context, 30 s clock skew), but without Kafka: the attested session's \
                record goes to an in-memory publisher, which only attestation uses. One iteration attested through \
                `SmcpService.attest` with an Ed25519 key of its own; every envelope is built as `bootstrap.py` \
                builds it and calls `fs.read` of a workspace path, a built-in tool the service answers \
                `dispatch_required` without any I/O.

                - **Baselines**: each check alone, called in a loop on the inputs of one such envelope.
                - **`SmcpService.invoke`**: the whole check of a valid, freshly signed envelope (token, session, \
                timestamp, canonical bytes, Ed25519 signature, replay cache, manifest and policy, routing, the \
                JSON-RPC answer). A replay is refused, so each call needs an envelope of its own: before each \
                measurement a pool is signed, not timed, with that moment's timestamp (hence `--seconds` at most \
                %d: the last envelope must still be within the skew), one share per thread, sized from the \
                BouncyCastle verify rate just measured (an upper bound on invoke's); a measurement stops at \
                `--seconds` or when a thread's share is used up. Signing is not in any figure.
                - **Over HTTP**: a real Helidon listener with the SMCP routes; %d virtual threads share one \
                `java.net.http` client (HTTP/1.1 keep-alive), closed loop (the harness's `Load`). \
                `%s` posts a typical envelope to a route of the same listener that reads the body and answers \
                a constant: the HTTP stack alone. `%s` posts envelopes from a pool signed before the \
                measurement; its figure includes the JSON parse of the request and the writing of the answer.

                In-process loops run on platform threads, 1 and then one per processor (%s). Each measurement runs \
                %d s; a first round of every measurement, %d s each, is not counted (the JIT's warm-up).%s The \
                clients run in the same JVM as the listener and share the cores.

                """.formatted(options.repeats(), Options.MAX_SECONDS, options.connections(), HTTP_NOOP,
                HTTP_INVOKE, threadCounts.getLast(), options.seconds(), options.warmupSeconds(),
                options.warmupSeconds() == 0 ? " (Here there was no such round: the figures include the warm-up.)"
                        : ""));
        b.append("## Machine\n\n").append(Report.machineTable(machine));
        b.append("The machine is not reserved for the benchmark: other work on it lowers the figures, the "
                + "multi-threaded ones most.\n\n");
        b.append("## Results\n\n").append(tables(threadCounts, inProcess, overHttp, options.connections()));
        b.append("What each in-process measurement is:\n\n");
        for (String name : List.of(BC, JDK, JWT, POLICY, CANONICAL, INVOKE)) {
            b.append("- **").append(name).append("**: ").append(MEANINGS.get(name)).append(".\n");
        }
        b.append('\n');
        double parts = micros(inProcess, BC) + micros(inProcess, JWT) + micros(inProcess, POLICY)
                + micros(inProcess, CANONICAL);
        double whole = micros(inProcess, INVOKE);
        b.append(String.format(Locale.ROOT, """
                ## What the numbers mean

                On one thread the four checks `invoke` makes, measured alone, add up to %.1f µs (BouncyCastle \
                verify %.1f, JWT %.1f, policy %.2f, canonical JSON %.2f) of the %.1f µs one invocation takes; the \
                rest (%.1f µs) is the envelope's own handling: the timestamp parsed, the signed object rebuilt, the \
                session looked up, the replay cache, the argument checks, building the dispatch action and the \
                answer, the metrics.
                """, parts, micros(inProcess, BC), micros(inProcess, JWT), micros(inProcess, POLICY),
                micros(inProcess, CANONICAL), whole, whole - parts));
        b.append(String.format(Locale.ROOT, """

                What limits them:

                - The two signature checks are most of an invocation: the Ed25519 verify (a scalar \
                multiplication and SHA-512 over the %d canonical bytes, which hold the %d-character token) and the \
                RS256 token verify (an RSA-2048 public-key operation, cheap, plus the JWT's parse: base64 and \
                JSON of header and claims). The token is verified on every call, never cached.
                - With the JDK provider instead of BouncyCastle the Ed25519 verify alone would cost what the ratio \
                above says; the service uses BouncyCastle's lightweight API.
                - The replay cache (`ReplayGuard`) is one `synchronized` map and queue: every invocation of the \
                worker passes through it once, a short critical section, and it holds every signature of the \
                last 30 s (about 100 bytes each). The worker's default room (`aegis.smcp.replay-cache-entries`, \
                600 000, some 60 MB when full) lasts up to about 20 000 invocations per second sustained, over \
                twice what one worker verifies here; past it further ones are answered 503 until signatures age \
                out. This benchmark raises it to 5 000 000 so that no run can reach it.
                - On N threads the rate is bounded by the cores, which the clients, other work on the machine and \
                (over HTTP) the listener share.
                - Over HTTP the figure adds, to the checks, the HTTP exchange (the no-op row) and the JSON parse \
                of the %d-byte request and the write of the answer; the ratio to the no-op POST shows what the \
                checks cost a request.
                """, sizes.signed(), sizes.token(), sizes.request()));
        return b.toString();
    }
}
