package ai.aegis.worker.smcp.policy;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

class RateLimiterTest {

    private static final Capability TWO_PER_MINUTE = new Capability("notes.*", null, null, null, null,
            new RateLimit(2, Duration.ofMinutes(1)), null);

    /** Moved by the tests instead of waiting. */
    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);

    @Test
    void theCallPastTheLimitIsRefusedWithTheTimeUntilTheNextWindow() {
        RateLimiter limiter = new RateLimiter(100, nanos::get);
        assertThat(limiter.acquire("s1", 0, TWO_PER_MINUTE, "notes.add")).isEmpty();
        assertThat(limiter.acquire("s1", 0, TWO_PER_MINUTE, "notes.list")).isEmpty();
        nanos.addAndGet(Duration.ofSeconds(20).toNanos());
        PolicyViolation v = limiter.acquire("s1", 0, TWO_PER_MINUTE, "notes.add").orElseThrow();
        assertThat(v.type()).isEqualTo(ViolationType.RATE_LIMIT_EXCEEDED);
        assertThat(v.tool()).isEqualTo("notes.add");
        assertThat(v.limit()).isEqualTo(2);
        assertThat(v.retryAfterSeconds()).isEqualTo(40);
        assertThat(v.message()).contains("2 calls per 60 s", "retry in 40 s", "notes.*");
    }

    @Test
    void theNextWindowAllowsCallsAgain() {
        RateLimiter limiter = new RateLimiter(100, nanos::get);
        limiter.acquire("s1", 0, TWO_PER_MINUTE, "notes.add");
        limiter.acquire("s1", 0, TWO_PER_MINUTE, "notes.add");
        assertThat(limiter.acquire("s1", 0, TWO_PER_MINUTE, "notes.add")).isPresent();
        nanos.addAndGet(Duration.ofSeconds(60).toNanos());
        assertThat(limiter.acquire("s1", 0, TWO_PER_MINUTE, "notes.add")).isEmpty();
        assertThat(limiter.acquire("s1", 0, TWO_PER_MINUTE, "notes.add")).isEmpty();
        assertThat(limiter.acquire("s1", 0, TWO_PER_MINUTE, "notes.add")).isPresent();
    }

    @Test
    void retryAfterIsAtLeastOneSecond() {
        Capability fast = new Capability("*", null, null, null, null, new RateLimit(1, Duration.ofMillis(500)), null);
        RateLimiter limiter = new RateLimiter(100, nanos::get);
        limiter.acquire("s1", 0, fast, "t");
        nanos.addAndGet(Duration.ofMillis(499).toNanos());
        assertThat(limiter.acquire("s1", 0, fast, "t").orElseThrow().retryAfterSeconds()).isEqualTo(1);
    }

    @Test
    void otherSessionsAndOtherCapabilitiesHaveTheirOwnBuckets() {
        RateLimiter limiter = new RateLimiter(100, nanos::get);
        limiter.acquire("s1", 0, TWO_PER_MINUTE, "notes.add");
        limiter.acquire("s1", 0, TWO_PER_MINUTE, "notes.add");
        assertThat(limiter.acquire("s1", 0, TWO_PER_MINUTE, "notes.add")).isPresent();
        assertThat(limiter.acquire("s2", 0, TWO_PER_MINUTE, "notes.add")).isEmpty();
        assertThat(limiter.acquire("s1", 1, TWO_PER_MINUTE, "notes.add")).isEmpty();
    }

    @Test
    void aCapabilityWithoutARateLimitIsNeverLimitedAndKeepsNoBucket() {
        RateLimiter limiter = new RateLimiter(1, nanos::get);
        for (int i = 0; i < 1000; i++) {
            assertThat(limiter.acquire("s1", 0, Capability.of("*"), "t")).isEmpty();
        }
        assertThat(limiter.size()).isZero();
    }

    @Test
    void theMapIsBoundedAndEvictsTheLeastRecentlyUsed() {
        RateLimiter limiter = new RateLimiter(2, nanos::get);
        Capability once = new Capability("*", null, null, null, null, new RateLimit(1, Duration.ofHours(1)), null);
        limiter.acquire("a", 0, once, "t");
        limiter.acquire("b", 0, once, "t");
        assertThat(limiter.acquire("a", 0, once, "t")).isPresent(); // a is now the most recently used
        limiter.acquire("c", 0, once, "t"); // evicts b
        assertThat(limiter.size()).isEqualTo(2);
        assertThat(limiter.acquire("a", 0, once, "t")).isPresent(); // kept: still limited
        assertThat(limiter.acquire("b", 0, once, "t")).isEmpty(); // evicted: a fresh bucket (which evicts c)
        assertThat(limiter.acquire("c", 0, once, "t")).isEmpty();
        assertThat(limiter.size()).isEqualTo(2);
    }

    @Test
    void forgetDropsEveryBucketOfTheSession() {
        RateLimiter limiter = new RateLimiter(100, nanos::get);
        Capability once = new Capability("*", null, null, null, null, new RateLimit(1, Duration.ofHours(1)), null);
        limiter.acquire("a", 0, once, "t");
        limiter.acquire("a", 1, once, "t");
        limiter.acquire("b", 0, once, "t");
        limiter.forget("a");
        assertThat(limiter.size()).isEqualTo(1);
        assertThat(limiter.acquire("a", 0, once, "t")).isEmpty();
        assertThat(limiter.acquire("a", 1, once, "t")).isEmpty();
        assertThat(limiter.acquire("b", 0, once, "t")).isPresent();
        limiter.forget("unknown");
        assertThat(limiter.size()).isEqualTo(3);
    }

    @Test
    void aChangedLimitStartsAFreshBucket() {
        RateLimiter limiter = new RateLimiter(100, nanos::get);
        Capability once = new Capability("*", null, null, null, null, new RateLimit(1, Duration.ofHours(1)), null);
        limiter.acquire("a", 0, once, "t");
        assertThat(limiter.acquire("a", 0, once, "t")).isPresent();
        assertThat(limiter.acquire("a", 0, TWO_PER_MINUTE, "t")).isEmpty();
    }

    @Test
    void withTheSystemClockAWindowRefills() {
        RateLimiter limiter = new RateLimiter(10);
        Capability once = new Capability("*", null, null, null, null, new RateLimit(1, Duration.ofMillis(200)), null);
        assertThat(limiter.acquire("s", 0, once, "t")).isEmpty();
        await().atMost(Duration.ofSeconds(5)).until(() -> limiter.acquire("s", 0, once, "t").isEmpty());
        Capability hourly = new Capability("*", null, null, null, null, new RateLimit(1, Duration.ofHours(1)), null);
        assertThat(limiter.acquire("s", 1, hourly, "t")).isEmpty();
        assertThat(limiter.acquire("s", 1, hourly, "t").orElseThrow().retryAfterSeconds()).isBetween(3000L, 3600L);
    }

    @Test
    void theBoundMustBePositive() {
        assertThatThrownBy(() -> new RateLimiter(0)).isInstanceOf(IllegalArgumentException.class);
    }
}
