package ai.aegis.cli.bench;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Closed-loop load over real HTTP: {@code connections} virtual threads, each sending one request after the other on
 * one shared HTTP/1.1 client (which keeps one keep-alive connection per thread busy), and counting the answers by
 * status. Nothing is kept per request, so a measurement of any length holds the same memory.
 */
final class Load {

    /**
     * What one measurement counted.
     *
     * @param ok          2xx answers
     * @param tooMany     429 answers (admission control)
     * @param unavailable 503 answers (Kafka away, or admission control)
     * @param otherStatus any other answer
     * @param failed      requests that got no answer (connection refused or reset, timeout)
     * @param seconds     how long the load ran, measured
     * @param firstAnswers the first answer body of each status other than 2xx, shortened (what a refusal said)
     */
    record Counts(long ok, long tooMany, long unavailable, long otherStatus, long failed, double seconds,
                  Map<Integer, String> firstAnswers) {

        Counts {
            firstAnswers = Map.copyOf(firstAnswers);
        }

        double okPerSecond() {
            return ok / seconds;
        }
    }

    /** 2xx bodies are dropped unread; any other is kept, to say what the refusal was. */
    private static final HttpResponse.BodyHandler<String> BODY_UNLESS_OK = info -> info.statusCode() / 100 == 2
            ? HttpResponse.BodySubscribers.replacing("") : HttpResponse.BodySubscribers.ofString(StandardCharsets.UTF_8);

    private final HttpClient http;
    private final int connections;

    Load(int connections) {
        // HTTP/1.1 with keep-alive: no h2c upgrade, one connection per concurrent request
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        this.connections = connections;
    }

    /** Runs the load for {@code warmup} (not counted), then for {@code length} (counted). */
    Counts measure(Supplier<HttpRequest> request, Duration warmup, Duration length) throws InterruptedException {
        if (!warmup.isZero()) {
            long until = System.nanoTime() + warmup.toNanos();
            run(request, () -> System.nanoTime() >= until);
        }
        long until = System.nanoTime() + length.toNanos();
        return run(request, () -> System.nanoTime() >= until);
    }

    /** Runs the load until {@code done} says so (checked before each request). */
    Counts run(Supplier<HttpRequest> request, BooleanSupplier done) throws InterruptedException {
        LongAdder ok = new LongAdder();
        LongAdder tooMany = new LongAdder();
        LongAdder unavailable = new LongAdder();
        LongAdder other = new LongAdder();
        LongAdder failed = new LongAdder();
        Map<Integer, String> firstAnswers = new ConcurrentHashMap<>();
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> threads = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int i = 0; i < connections; i++) {
            threads.add(Thread.ofVirtual().name("bench-load-" + i).start(() -> {
                while (!stop.get() && !done.getAsBoolean()) {
                    try {
                        HttpResponse<String> res = http.send(request.get(), BODY_UNLESS_OK);
                        int status = res.statusCode();
                        if (status / 100 != 2 && firstAnswers.size() < 10) {
                            firstAnswers.putIfAbsent(status, res.body().length() > 200
                                    ? res.body().substring(0, 200) + "…" : res.body());
                        }
                        switch (status / 100 == 2 ? 200 : status) {
                            case 200 -> ok.increment();
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
                stop.set(true); // once one thread sees the end, the others stop at their next request
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        return new Counts(ok.sum(), tooMany.sum(), unavailable.sum(), other.sum(), failed.sum(), seconds,
                firstAnswers);
    }

    void close() {
        http.close();
    }
}
