package ai.aegis.ingress.http;

import ai.aegis.http.Api;
import ai.aegis.ingress.health.Metrics;
import io.helidon.common.concurrency.limits.LimitAlgorithm;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;

import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;

/**
 * Sheds load on the public listener: past its limit of requests in flight a request is answered at once with
 * {@code 503}, {@code Retry-After: 1} and {@code {"error": ...}} instead of waiting in an unbounded line of
 * virtual threads, each holding its body and, soon, a Kafka write, while the callers time out anyway.
 *
 * <p>This is a filter and not the listener's own {@code concurrencyLimit}, because that one counts every request
 * for as long as it lasts, and an event stream lasts as long as its client wants: ten thousand idle streams would
 * hold ten thousand places and refuse every other request. Streams (paths ending in {@code /stream}) cost the node
 * one cursor each and no work while idle, so they are not counted; nor are the probes, which must answer while the
 * node is busy (a liveness probe refused under load would get a healthy node restarted).
 */
public final class ConcurrencyLimitFilter implements Filter {

    private static final String STREAM_SUFFIX = "/stream";

    private final LimitAlgorithm limit;
    private final boolean queued;
    private final Set<String> exemptPaths;
    private final LongAdder refused;

    /**
     * @param limit       how many requests may be in flight, and how many may wait for a place and how long
     * @param queued      true when {@code limit} has a queue: a request over the limit then waits in it. False
     *                    refuses at once: Helidon's fixed limit asked to wait without a queue still waits its
     *                    queue timeout for a place, so every refusal would cost a second and a thread
     * @param exemptPaths exact paths never counted (the probes)
     */
    public ConcurrencyLimitFilter(LimitAlgorithm limit, boolean queued, Set<String> exemptPaths, Metrics metrics) {
        this.limit = limit;
        this.queued = queued;
        this.exemptPaths = Set.copyOf(exemptPaths);
        this.refused = metrics.counter("aegis_http_requests_refused_overload_total", "Public API requests refused "
                + "with 503 because the node was serving aegis.ingress.max-concurrent-requests already.");
    }

    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        String path = req.path().path();
        if (exemptPaths.contains(path) || path.endsWith(STREAM_SUFFIX)) {
            chain.proceed();
            return;
        }
        Optional<LimitAlgorithm.Token> token = limit.tryAcquire(queued);
        if (token.isEmpty()) {
            refused.increment();
            Api.overloaded(res);
            return;
        }
        try {
            chain.proceed();
        } catch (RuntimeException | Error e) {
            // As Helidon's own listener limit does: success once served, dropped when it failed. A fixed limit
            // only gives the place back either way; an adaptive one would learn from the difference.
            token.get().dropped();
            throw e;
        }
        token.get().success();
    }
}
