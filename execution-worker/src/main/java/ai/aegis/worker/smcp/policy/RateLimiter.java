package ai.aegis.worker.smcp.policy;

import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.github.resilience4j.ratelimiter.internal.AtomicRateLimiter;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * The rate limits of capabilities, one bucket per (session, capability index): a session's calls through one
 * capability share its limit. Fixed windows of {@link RateLimit#per()} (resilience4j's {@link AtomicRateLimiter}),
 * never waiting. The buckets are bounded: past {@code maxEntries} the least recently used is dropped (its session then
 * starts a fresh window, the price of a bounded memory).
 */
public final class RateLimiter {

    private record Key(String sessionId, int capabilityIndex) {
    }

    private record Bucket(RateLimit limit, AtomicRateLimiter limiter) {
    }

    private final int maxEntries;
    private final LongSupplier nanoClock;
    private final Map<Key, Bucket> buckets;

    public RateLimiter(int maxEntries) {
        this(maxEntries, System::nanoTime);
    }

    /** With a clock of nanoseconds, for tests that move time instead of waiting. */
    RateLimiter(int maxEntries, LongSupplier nanoClock) {
        if (maxEntries < 1) {
            throw new IllegalArgumentException("maxEntries must be positive (got " + maxEntries + ")");
        }
        this.maxEntries = maxEntries;
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
        this.buckets = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Key, Bucket> eldest) {
                return size() > RateLimiter.this.maxEntries;
            }
        };
    }

    /**
     * Takes one call from the bucket of {@code (sessionId, capabilityIndex)}.
     *
     * @return empty when the call may go ahead (always when {@code cap} has no rate limit), else
     *         {@link ViolationType#RATE_LIMIT_EXCEEDED} with the seconds until the next window (at least 1) and the limit
     */
    public Optional<PolicyViolation> acquire(String sessionId, int capabilityIndex, Capability cap, String tool) {
        Objects.requireNonNull(sessionId, "sessionId");
        RateLimit limit = cap.rateLimit();
        if (limit == null) {
            return Optional.empty();
        }
        AtomicRateLimiter limiter = bucket(new Key(sessionId, capabilityIndex), limit);
        if (limiter.acquirePermission()) {
            return Optional.empty();
        }
        long nanos = limiter.getDetailedMetrics().getNanosToWait();
        long seconds = Math.max(1, (nanos + 999_999_999L) / 1_000_000_000L);
        return Optional.of(new PolicyViolation(ViolationType.RATE_LIMIT_EXCEEDED, tool,
                "rate limit of '" + tool + "' (" + cap.toolPattern() + ") exceeded: " + limit.calls() + " calls per "
                        + describe(limit.per()) + "; retry in " + seconds + " s", seconds, limit.calls()));
    }

    /** Drops the buckets of a session that ended. */
    public synchronized void forget(String sessionId) {
        buckets.keySet().removeIf(key -> key.sessionId().equals(sessionId));
    }

    /** How many buckets are kept. */
    synchronized int size() {
        return buckets.size();
    }

    private synchronized AtomicRateLimiter bucket(Key key, RateLimit limit) {
        Bucket bucket = buckets.get(key);
        if (bucket == null || !bucket.limit().equals(limit)) { // a changed limit starts afresh
            RateLimiterConfig config = RateLimiterConfig.custom()
                    .limitForPeriod(limit.calls())
                    .limitRefreshPeriod(limit.per())
                    .timeoutDuration(Duration.ZERO)
                    .build();
            bucket = new Bucket(limit, new AtomicRateLimiter(key.sessionId() + "#" + key.capabilityIndex(), config,
                    nanoClock::getAsLong));
            buckets.put(key, bucket);
        }
        return bucket.limiter();
    }

    private static String describe(Duration per) {
        return per.toMillis() % 1000 == 0 ? per.toSeconds() + " s" : per.toMillis() + " ms";
    }
}
