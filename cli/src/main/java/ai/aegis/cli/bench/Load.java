package ai.aegis.cli.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.IntPredicate;
import java.util.function.Supplier;

/**
 * Load over real HTTP: {@code connections} virtual threads share one HTTP/1.1 client (which keeps one keep-alive
 * connection per thread busy) and count the answers by status, and the latency of each expected one. Two ways to
 * send:
 * <ul>
 *   <li><b>closed loop</b> ({@link #measure}, {@link #run}): each thread sends one request after the other, as fast
 *       as the answers come: the rate the system sustains with that many requests in flight. A latency runs from
 *       just before the send to the answer.</li>
 *   <li><b>open loop</b> ({@link #paced}): the requests follow a fixed timetable at a given rate, spread over the
 *       threads (thread {@code i} sends requests {@code i}, {@code i + connections}, ...), and a latency runs from the
 *       request's <em>scheduled</em> time, not from when it was sent: a request that could not leave on time because
 *       its thread still waited for an earlier answer counts that wait too. Measuring from the send would leave out
 *       exactly the delays a stall causes (coordinated omission).</li>
 * </ul>
 * Per request only its latency is kept (a {@code long}); the answers' bodies are dropped unread unless they are
 * unexpected.
 */
final class Load {

    /**
     * What one measurement counted.
     *
     * @param ok           answers with the expected status
     * @param tooMany      429 answers (admission control, a rate limit)
     * @param unavailable  503 answers (Kafka away, admission control, an answer that did not come in time)
     * @param otherStatus  any other answer (another 2xx too, where one status is expected)
     * @param failed       requests that got no answer (connection refused or reset, timeout)
     * @param seconds      how long the load ran, measured
     * @param firstAnswers the first answer body of each unexpected status, shortened (what a refusal said)
     * @param latency      the expected answers' latencies in ms (see the class comment for where they start), or
     *                     null when there was none
     * @param cores        CPU time this JVM used meanwhile, over the wall time: the system, the broker and the
     *                     client together, in cores
     */
    record Counts(long ok, long tooMany, long unavailable, long otherStatus, long failed, double seconds,
                  Map<Integer, String> firstAnswers, Summary latency, double cores) {

        Counts {
            firstAnswers = Map.copyOf(firstAnswers);
        }

        double okPerSecond() {
            return ok / seconds;
        }

        /** Every request that did not get the expected answer. */
        long errors() {
            return tooMany + unavailable + otherStatus + failed;
        }

        /** The rate of each measurement, in order. */
        static List<Double> perSecond(List<Counts> counts) {
            return counts.stream().map(Counts::okPerSecond).toList();
        }

        /** {@code top}'s rate over {@code bottom}'s, measurement by measurement (side by side in one repetition). */
        static List<Double> ratios(List<Counts> top, List<Counts> bottom) {
            List<Double> r = new ArrayList<>();
            for (int i = 0; i < top.size(); i++) {
                r.add(top.get(i).okPerSecond() / bottom.get(i).okPerSecond());
            }
            return r;
        }
    }

    /**
     * What a load sends, and which answer it counts as ok.
     *
     * @param request  a new request each time (a body, a key of its own)
     * @param expected the statuses counted as ok; every other one is counted by kind
     */
    record Target(Supplier<HttpRequest> request, IntPredicate expected) {

        /** Any 2xx is ok. */
        static Target anySuccess(Supplier<HttpRequest> request) {
            return new Target(request, status -> status / 100 == 2);
        }

        /** Only {@code status} is ok. */
        static Target only(Supplier<HttpRequest> request, int status) {
            return new Target(request, s -> s == status);
        }
    }

    /** The timetable's answer once a thread is to stop. */
    private static final long DONE = Long.MIN_VALUE;

    /** When each thread sends its next request. */
    @FunctionalInterface
    private interface Timetable {
        /** @return the {@code System.nanoTime} the {@code k}-th request of thread {@code thread} is due, or DONE */
        long due(int thread, long k);
    }

    private final HttpClient http;
    private final int connections;

    Load(int connections) {
        // HTTP/1.1 with keep-alive: no h2c upgrade, one connection per concurrent request
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        this.connections = connections;
    }

    /** Closed loop, any 2xx ok: for {@code warmup} (not counted), then for {@code length} (counted). */
    Counts measure(Supplier<HttpRequest> request, Duration warmup, Duration length) throws InterruptedException {
        return measure(Target.anySuccess(request), warmup, length);
    }

    /** Closed loop: for {@code warmup} (not counted), then for {@code length} (counted). */
    Counts measure(Target target, Duration warmup, Duration length) throws InterruptedException {
        if (!warmup.isZero()) {
            long until = System.nanoTime() + warmup.toNanos();
            run(target, () -> System.nanoTime() >= until);
        }
        long until = System.nanoTime() + length.toNanos();
        return run(target, () -> System.nanoTime() >= until);
    }

    /** Closed loop, any 2xx ok, until {@code done} says so (checked before each request). */
    Counts run(Supplier<HttpRequest> request, BooleanSupplier done) throws InterruptedException {
        return run(Target.anySuccess(request), done);
    }

    Counts run(Target target, BooleanSupplier done) throws InterruptedException {
        // once one thread sees the end, the others stop at their next request (done may count requests)
        AtomicBoolean ended = new AtomicBoolean();
        return drive(target, (thread, k) -> {
            if (ended.get() || done.getAsBoolean()) {
                ended.set(true);
                return DONE;
            }
            return System.nanoTime(); // due at once, so a latency runs from the send
        });
    }

    /**
     * Open loop at {@code perSecond} requests a second: for {@code warmup} (not counted), then for {@code length}
     * (counted; the requests due in it, and their answers, however late).
     */
    Counts paced(Target target, double perSecond, Duration warmup, Duration length) throws InterruptedException {
        if (!(perSecond > 0)) {
            throw new IllegalArgumentException("an open loop needs a positive rate (got " + perSecond + ")");
        }
        if (!warmup.isZero()) {
            drive(target, timetable(perSecond, warmup));
        }
        return drive(target, timetable(perSecond, length));
    }

    /** From now on, one request every 1/perSecond s, dealt out to the threads in turn, until {@code length}. */
    private Timetable timetable(double perSecond, Duration length) {
        long t0 = System.nanoTime();
        long end = t0 + length.toNanos();
        double interval = 1e9 / perSecond;
        return (thread, k) -> {
            long due = t0 + (long) ((k * connections + thread) * interval);
            return due - end >= 0 ? DONE : due;
        };
    }

    private Counts drive(Target target, Timetable timetable) throws InterruptedException {
        LongAdder ok = new LongAdder();
        LongAdder tooMany = new LongAdder();
        LongAdder unavailable = new LongAdder();
        LongAdder other = new LongAdder();
        LongAdder failed = new LongAdder();
        Map<Integer, String> firstAnswers = new ConcurrentHashMap<>();
        List<long[]> latencies = Collections.synchronizedList(new ArrayList<>());
        // unexpected bodies are kept, to say what the refusal was; expected ones are dropped unread
        HttpResponse.BodyHandler<String> bodies = info -> target.expected().test(info.statusCode())
                ? HttpResponse.BodySubscribers.replacing("")
                : HttpResponse.BodySubscribers.ofString(StandardCharsets.UTF_8);
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> threads = new ArrayList<>();
        long cpu0 = processCpuNanos();
        long t0 = System.nanoTime();
        for (int i = 0; i < connections; i++) {
            int thread = i;
            threads.add(Thread.ofVirtual().name("bench-load-" + i).start(() -> {
                long[] mine = new long[1024];
                int n = 0;
                for (long k = 0; !stop.get(); k++) {
                    long due = timetable.due(thread, k);
                    if (due == DONE) {
                        break;
                    }
                    for (long wait = due - System.nanoTime(); wait > 0; wait = due - System.nanoTime()) {
                        LockSupport.parkNanos(wait);
                    }
                    try {
                        HttpResponse<String> res = http.send(target.request().get(), bodies);
                        long latency = System.nanoTime() - due;
                        int status = res.statusCode();
                        if (target.expected().test(status)) {
                            ok.increment();
                            if (n == mine.length) {
                                mine = Arrays.copyOf(mine, n * 2);
                            }
                            mine[n++] = latency;
                            continue;
                        }
                        if (firstAnswers.size() < 10) {
                            firstAnswers.putIfAbsent(status, res.body().length() > 200
                                    ? res.body().substring(0, 200) + "…" : res.body());
                        }
                        switch (status) {
                            case 429 -> tooMany.increment();
                            case 503 -> unavailable.increment();
                            default -> other.increment();
                        }
                    } catch (IOException e) {
                        failed.increment();
                    } catch (InterruptedException e) {
                        stop.set(true);
                    }
                }
                latencies.add(Arrays.copyOf(mine, n));
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        long wall = System.nanoTime() - t0;
        double cores = (processCpuNanos() - cpu0) / (double) wall;
        List<Double> ms = new ArrayList<>();
        latencies.forEach(l -> Arrays.stream(l).forEach(nanos -> ms.add(nanos / 1e6)));
        return new Counts(ok.sum(), tooMany.sum(), unavailable.sum(), other.sum(), failed.sum(), wall / 1e9,
                firstAnswers, ms.isEmpty() ? null : Summary.of(ms), cores);
    }

    /** CPU time of this JVM, every thread, so far. */
    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    void close() {
        http.close();
    }
}
