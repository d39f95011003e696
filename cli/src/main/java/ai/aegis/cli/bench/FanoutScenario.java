package ai.aegis.cli.bench;

import ai.aegis.ingress.IngressConfig;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.lang.management.ManagementFactory;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Heap per idle SSE stream, and the latency of one more subscriber (POST to {@code execution_completed}) with 0 and
 * then more and more idle streams open. The idle streams are on executions that stay running (the hold agent) and
 * are held by a child JVM ({@link IdleStreams}), so that this JVM's heap is the server's alone (with the broker,
 * worker and engine it also runs, which are idle meanwhile).
 */
final class FanoutScenario {

    /** Executions the idle streams are spread over; the worker's other slots stay free for the measured ones. */
    private static final int HOLDS = 2;
    private static final Duration OPEN_LIMIT = Duration.ofMinutes(5);

    private FanoutScenario() {
    }

    /** Where the idle streams and the measured one are served, and how the server counts its open streams. */
    private record Transport(String name, String label, int port, ExecutionProbe probe, String openGauge) {
    }

    /**
     * One transport's figures, level by level (level 0 first): heap per stream (from level 1), the measured
     * execution's POST → completed, its sandbox start (POST → first model call), its completed event's delivery
     * (written → frame read), and a bare process spawn in this JVM.
     */
    private record Measured(List<List<Double>> heap, List<List<Double>> p50, List<List<Double>> p99,
                            List<List<Double>> sandboxP50, List<List<Double>> deliveryP50,
                            List<List<Double>> deliveryP99, List<List<Double>> spawnP50) {
    }

    /** Spawns of {@code /bin/true} per repetition for the spawn figure. */
    private static final int SPAWNS = 20;

    static ScenarioResult run(ScenarioOptions options, String servers, Path dir, PrintStream out)
            throws IOException, InterruptedException {
        List<Integer> levels = new ArrayList<>(List.of(0));
        levels.addAll(options.streams());
        List<String> notes = new ArrayList<>();
        List<Transport> transports = new ArrayList<>();
        List<Measured> measured = new ArrayList<>();
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        try (ScenarioSystem system = ScenarioSystem.start(servers, "fanout", true, 1, dir,
                Map.of("aegis.ingress.stream-port", "0"))) {
            transports.add(new Transport("public listener", "public", system.port(), system.probe(),
                    "aegis_sse_streams_open"));
            transports.add(new Transport("stream listener", "stream", system.streamPort(),
                    system.streamListenerProbe(), "aegis_stream_listener_streams_open"));
            List<String> holds = new ArrayList<>();
            for (int i = 0; i < HOLDS; i++) {
                holds.add(system.startExecution(http, system.holdAgent()));
            }
            for (String id : holds) {
                awaitRunning(system, http, id);
            }
            system.probe().measure(system.clockAgent()); // not counted: class loading, JIT, the first sandbox
            system.streamListenerProbe().measure(system.clockAgent());
            try {
                for (Transport t : transports) {
                    measured.add(measure(t, system, http, holds, levels, options, dir, out, notes));
                }
            } finally {
                for (String id : holds) {
                    system.cancel(http, id);
                }
            }
        } finally {
            http.close();
        }
        List<Figure> figures = new ArrayList<>();
        for (int t = 0; t < transports.size(); t++) {
            Transport transport = transports.get(t);
            Measured m = measured.get(t);
            String on = transport.name() + ": ";
            double base = Summary.of(m.p50().getFirst()).median();
            figures.add(new Figure(on + "one more subscriber, 0 idle streams: p50", "ms", m.p50().getFirst(),
                    "POST → `execution_completed` received on the execution's stream (the sandbox benchmark's "
                    + "run), on the " + transport.name() + ", " + options.fanoutRuns() + " runs per repetition, "
                    + "nothing else open: the baseline"));
            figures.add(new Figure(on + "one more subscriber, 0 idle streams: p99", "ms", m.p99().getFirst(),
                    "the same, 99th percentile (with " + options.fanoutRuns() + " runs, the slowest or nearly)"));
            double deliveryBase = Summary.of(m.deliveryP50().getFirst()).median();
            for (int i = 0; i < levels.size(); i++) {
                int n = levels.get(i);
                String at = i == 0 ? "0 idle streams" : n + " idle streams";
                figures.add(new Figure(on + "execution_completed written → its frame, " + at + ": p50", "ms",
                        m.deliveryP50().get(i), "the measured execution's terminal event, from its own timestamp "
                        + "(the worker wrote it) to its frame read from the stream: Kafka and the ingress alone"));
                figures.add(new Figure(on + "execution_completed written → its frame, " + at + ": p99", "ms",
                        m.deliveryP99().get(i), "the same, 99th percentile"));
                if (i > 0) {
                    figures.add(new Figure(on + "delivery p50 at " + n + " / baseline delivery p50", "×",
                            m.deliveryP50().get(i).stream().map(v -> v / deliveryBase).toList(), "what idle "
                            + "streams cost the ingress's delivery of another execution's events"));
                }
                figures.add(new Figure(on + "POST → sandbox up (first model call), " + at + ": p50", "ms",
                        m.sandboxP50().get(i), "the worker's part: request to the bootstrap's first call through "
                        + "the dispatch gateway (the sandbox process has started)"));
                figures.add(new Figure(on + "a process spawn in this JVM, " + at + ": p50", "ms",
                        m.spawnP50().get(i), "`/bin/true` started and waited for, " + SPAWNS + " per repetition, "
                        + "from the JVM that holds the streams' sockets and runs the worker"));
            }
            for (int i = 1; i < levels.size(); i++) {
                int n = levels.get(i);
                figures.add(new Figure(on + "heap per idle stream at " + n, "KiB", m.heap().get(i - 1),
                        "(used heap after full GCs with " + n + " streams open on the " + transport.name()
                        + " − the same with none) / " + n + ": the server's own cost of a stream"));
                figures.add(new Figure(on + "one more subscriber at " + n + ": p50", "ms", m.p50().get(i),
                        "as the baseline, with " + n + " idle streams open"));
                figures.add(new Figure(on + "one more subscriber at " + n + ": p99", "ms", m.p99().get(i),
                        "the same, 99th percentile"));
                figures.add(new Figure(on + "one more subscriber at " + n + ": p50 / baseline p50", "×",
                        m.p50().get(i).stream().map(v -> v / base).toList(), "each repetition's p50 over this "
                        + "listener's baseline median p50"));
            }
        }
        int largest = levels.size() - 2;
        List<Double> publicHeap = measured.get(0).heap().get(largest);
        double publicMedian = Summary.of(publicHeap).median();
        figures.add(new Figure("stream listener / public listener: heap per idle stream at "
                + levels.getLast(), "×", measured.get(1).heap().get(largest).stream().map(v -> v / publicMedian)
                .toList(), "each repetition of the stream listener's figure over the public listener's median"));
        String setup = String.format(Locale.ROOT, "The whole system with a worker on the process runtime (4 slots) "
                + "and its topics on one partition (see the note), serving streams on two listeners: the public "
                + "one (Helidon, `aegis.ingress.port`) and the stream listener (non-blocking sockets, "
                + "`aegis.ingress.stream-port`). %d "
                + "executions of an agent whose scripted model runs `sleep 290` again and again stay running, and "
                + "the idle streams are spread evenly over them; the worker's other slots are free for the measured "
                + "executions. The idle streams are held by a child JVM (`IdleStreams`: one thread, one selector, "
                + "raw HTTP/1.1 sockets that check the `200` and then read and discard), so this JVM's heap is the "
                + "server's; it also holds the broker, the worker and the engine, idle meanwhile, which is what "
                + "makes the smallest level noisy. Each listener is measured in turn in the same run, the public "
                + "one first: levels are opened one after the other (0, then %s), every stream stays open until "
                + "that listener's last level, and all are closed (and the server has counted them closed) before "
                + "the other listener's turn. The measured execution's stream is on the listener under test. "
                + "Heap: `System.gc()` then `MemoryMXBean` used heap, %d times per level. Streams receive the "
                + "ingress's keep-alive comment every %d s.", HOLDS,
                String.join(", ", options.streams().stream().map(String::valueOf).toList()), options.repeats(),
                IngressConfig.DEFAULT_SSE_HEARTBEAT.toSeconds());
        notes.add("Topics on one partition, not the default six. In a first run on six, a measured execution "
                + "stayed pending for minutes while two held executions ran and two of the worker's four slots "
                + "were free. The likely cause (not confirmed here): the share group spreads the six partitions "
                + "over the four slots, and a partition whose only assignee is busy with a long execution is "
                + "fetched by nobody else (a busy slot polls only to renew its lock, and releases what it fetched "
                + "meanwhile). On one partition every slot is assigned it. This is a finding about the worker, "
                + "not about the ingress.");
        notes.add("Where the extra latency of one more execution comes from once thousands of streams are open: "
                + "not the ingress (its delivery of that execution's events, `execution_completed written → its "
                + "frame`, stays level), but the sandbox start. `aegis up` runs the worker in the JVM that holds "
                + "the streams' sockets, and the JDK starts every child process by closing, in the child, each "
                + "descriptor the JVM has open (it walks `/proc/self/fd`): about 5 µs per descriptor, so a bare "
                + "spawn grows by tens of milliseconds at 10 000 sockets (the spawn figures), and the sandbox's "
                + "start with it. A deployment that runs workers apart from the ingress nodes (the design's) does "
                + "not pay it; see docs/architecture.md.");
        notes.add("Heap figures at the smaller levels are within the noise of the other services in this JVM "
                + "(a few MiB between collections): read them at the largest level.");
        return new ScenarioResult("fanout", setup, figures, notes);
    }

    /** One listener's turn: every level opened on it, measured, and all its streams closed again. */
    private static Measured measure(Transport t, ScenarioSystem system, HttpClient http, List<String> holds,
                                    List<Integer> levels, ScenarioOptions options, Path dir, PrintStream out,
                                    List<String> notes) throws IOException, InterruptedException {
        List<List<Double>> heap = new ArrayList<>();
        List<List<Double>> p50 = new ArrayList<>();
        List<List<Double>> p99 = new ArrayList<>();
        List<List<Double>> sandbox = new ArrayList<>();
        List<List<Double>> deliveryP50 = new ArrayList<>();
        List<List<Double>> deliveryP99 = new ArrayList<>();
        List<List<Double>> spawn = new ArrayList<>();
        Child child = null;
        try {
            List<Double> baseline = null;
            for (int n : levels) {
                if (n > 0) {
                    if (child == null) {
                        child = spawn(system, t.port(), holds, dir.resolve("idle-streams-" + t.label() + ".log"));
                    }
                    String answer = child.open(n);
                    out.println("bench fanout (" + t.name() + "): " + answer);
                    if (!answer.contains("refused=0 closed=0")) {
                        notes.add(t.name() + ", opening " + n + " idle streams: " + answer + " (refused: not "
                                + "answered 200; closed: ended by the server).");
                    }
                    awaitServerStreams(system, http, t, n, notes);
                }
                List<Double> used = new ArrayList<>();
                for (int rep = 0; rep < options.repeats(); rep++) {
                    used.add(heapAfterGc());
                }
                if (n == 0) {
                    baseline = used;
                } else {
                    double base = Summary.of(baseline).median();
                    heap.add(used.stream().map(u -> (u - base) / n / 1024).toList());
                }
                Percentiles level = new Percentiles();
                Percentiles sandboxUp = new Percentiles();
                Percentiles delivered = new Percentiles();
                Percentiles spawned = new Percentiles();
                for (int rep = 0; rep < options.repeats(); rep++) {
                    List<Sample> samples = new ArrayList<>();
                    for (int i = 0; i < options.fanoutRuns(); i++) {
                        samples.add(t.probe().measure(system.clockAgent()));
                    }
                    level.add(samples.stream().map(Sample::completedMs).toList());
                    sandboxUp.add(samples.stream().map(Sample::firstModelCallMs).toList());
                    delivered.add(samples.stream().map(Sample::deliveryMs).toList());
                    spawned.add(spawnTimes());
                }
                List<Double> levelP50 = level.p50();
                p50.add(levelP50);
                p99.add(level.p99());
                sandbox.add(sandboxUp.p50());
                deliveryP50.add(delivered.p50());
                deliveryP99.add(delivered.p99());
                spawn.add(spawned.p50());
                out.printf(Locale.ROOT, "bench fanout (%s): %d idle streams: heap used %s MiB, one more "
                        + "subscriber p50 %s ms%n", t.name(), n, Report.ms(Summary.of(used).median() / 1024 / 1024),
                        Report.ms(Summary.of(levelP50).median()));
            }
        } finally {
            if (child != null) {
                child.close();
            }
        }
        awaitServerStreams(system, http, t, 0, notes); // closed before the next listener's baseline
        return new Measured(heap, p50, p99, sandbox, deliveryP50, deliveryP99, spawn);
    }

    /** Milliseconds of each of {@link #SPAWNS} starts of {@code /bin/true} from this JVM, each waited for. */
    private static List<Double> spawnTimes() throws IOException, InterruptedException {
        List<Double> ms = new ArrayList<>();
        for (int i = 0; i < SPAWNS; i++) {
            long t0 = System.nanoTime();
            new ProcessBuilder("/bin/true").start().waitFor();
            ms.add((System.nanoTime() - t0) / 1e6);
        }
        return ms;
    }

    private static void awaitRunning(ScenarioSystem system, HttpClient http, String id)
            throws IOException, InterruptedException {
        long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!system.status(http, id).equals("running")) {
            if (System.nanoTime() > until) {
                throw new IllegalStateException("the hold execution " + id + " is not running after 60 s: "
                        + system.status(http, id));
            }
            Thread.sleep(100); // the worker picks it up within a poll or two
        }
    }

    /** The child JVM holding the idle streams: its stdin, and its stdout lines as they come. */
    private record Child(Process process, Writer in, BlockingQueue<String> answers) {

        /** Asks for {@code n} streams in all and returns the answer once every new one was answered. */
        String open(int n) throws IOException, InterruptedException {
            in.write("open " + n + "\n");
            in.flush();
            long until = System.nanoTime() + OPEN_LIMIT.toNanos();
            while (System.nanoTime() < until) {
                String line = answers.poll(1, TimeUnit.SECONDS);
                if (line == null) {
                    if (!process.isAlive()) {
                        throw new IllegalStateException("the idle stream client exited with " + process.exitValue());
                    }
                } else if (line.startsWith("open " + n + " ")) {
                    return line;
                } else if (line.startsWith("failed")) {
                    throw new IllegalStateException("the idle stream client " + line);
                }
            }
            throw new IllegalStateException("the idle stream client did not hold " + n + " streams within "
                    + OPEN_LIMIT.toMinutes() + " min");
        }

        void close() throws IOException, InterruptedException {
            in.close(); // end of input: the child exits and its sockets close
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }

    private static Child spawn(ScenarioSystem system, int port, List<String> holds, Path log) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                IdleStreams.class.getName(), "127.0.0.1", Integer.toString(port), system.token(),
                String.join(",", holds));
        pb.environment().put("CLASSPATH", ""); // the class path is given above, never inherited
        pb.redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()));
        Process process = pb.start();
        // a handful of short lines over the whole scenario: the queue stays tiny
        BlockingQueue<String> answers = new LinkedBlockingQueue<>();
        BufferedReader lines = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8));
        Thread.ofVirtual().name("idle-streams-answers").start(() -> {
            try {
                for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                    answers.add(line);
                }
            } catch (IOException ended) {
                // the child is gone; open() notices
            }
        });
        return new Child(process, new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8),
                answers);
    }

    /** Waits until the server counts {@code n} open streams (it counts one once it has written its first bytes). */
    private static void awaitServerStreams(ScenarioSystem system, HttpClient http, Transport t, int n,
                                           List<String> notes) throws IOException, InterruptedException {
        long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        double open = system.gauge(http, t.openGauge());
        while (open != n && System.nanoTime() < until) {
            Thread.sleep(100); // the server's count follows the child's within a moment
            open = system.gauge(http, t.openGauge());
        }
        if (open != n) {
            notes.add(t.name() + ": with " + n + " idle streams asked for, the server counted " + (long) open
                    + " open.");
        }
    }

    /** Used heap after full collections, in bytes. */
    private static double heapAfterGc() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(200); // let reference processing and the services' next allocations settle
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
