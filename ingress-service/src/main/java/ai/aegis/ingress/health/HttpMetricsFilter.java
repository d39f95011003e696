package ai.aegis.ingress.health;

import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;

import java.util.concurrent.atomic.LongAdder;

/** Counts public API responses by status class ({@code aegis_http_responses_total{status="2xx"}}). */
public final class HttpMetricsFilter implements Filter {

    private static final String NAME = "aegis_http_responses_total";
    private static final String HELP = "Responses of the public API by status class.";

    private final LongAdder[] byClass = new LongAdder[6];

    public HttpMetricsFilter(Metrics metrics) {
        for (int i = 1; i <= 5; i++) {
            byClass[i] = metrics.counter(NAME, HELP, "status", i + "xx");
        }
    }

    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        try {
            chain.proceed();
        } finally {
            int cls = res.status().code() / 100;
            if (cls >= 1 && cls <= 5) {
                byClass[cls].increment();
            }
        }
    }
}
