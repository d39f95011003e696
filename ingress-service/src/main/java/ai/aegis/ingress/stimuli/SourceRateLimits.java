package ai.aegis.ingress.stimuli;

import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The stimuli each source may send per second on this node, so that one sender's flood cannot fill the pipeline
 * for the others: past it {@code 429} with {@code Retry-After}. Resilience4j's rate limiter per source (a bucket of
 * the source's rate, refilled every second; no waiting: a call over it is refused at once). Bounded: at most
 * {@code maxSources} sources get a limiter of their own; the rest share one (they are authenticated callers of
 * {@code POST /v1/stimuli} inventing names, or a configuration naming very many webhook sources).
 */
final class SourceRateLimits {

    /** A source's rate: 0 for no limit. */
    private final int defaultPerSecond;
    private final Map<String, Integer> perSource;
    private final int maxSources;
    private final Map<String, RateLimiter> limiters = new ConcurrentHashMap<>();
    private final RateLimiter shared;

    /**
     * @param defaultPerSecond each source's rate unless {@code perSource} names it; 0: unlimited
     * @param perSource        source (normalised) -> its rate (0: unlimited)
     */
    SourceRateLimits(int defaultPerSecond, Map<String, Integer> perSource, int maxSources) {
        this.defaultPerSecond = defaultPerSecond;
        this.perSource = Map.copyOf(perSource);
        this.maxSources = maxSources;
        this.shared = defaultPerSecond > 0 ? limiter("shared", defaultPerSecond) : null;
    }

    /** True when {@code source} may send one more stimulus now (and that one is counted). */
    boolean tryAcquire(String source) {
        int rate = perSource.getOrDefault(source, defaultPerSecond);
        if (rate <= 0) {
            return true;
        }
        RateLimiter limiter = limiters.get(source);
        if (limiter == null) {
            limiter = limiters.size() < maxSources || perSource.containsKey(source)
                    ? limiters.computeIfAbsent(source, s -> limiter(s, rate))
                    : shared != null ? shared : limiters.computeIfAbsent(source, s -> limiter(s, rate));
        }
        return limiter.acquirePermission();
    }

    private static RateLimiter limiter(String name, int perSecond) {
        return RateLimiter.of("stimuli-" + name, RateLimiterConfig.custom()
                .limitForPeriod(perSecond)
                .limitRefreshPeriod(Duration.ofSeconds(1))
                .timeoutDuration(Duration.ZERO)
                .build());
    }
}
