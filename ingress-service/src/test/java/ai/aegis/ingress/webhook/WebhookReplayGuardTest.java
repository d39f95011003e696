package ai.aegis.ingress.webhook;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import static ai.aegis.ingress.webhook.WebhookFixtures.NOW;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link BoundedSeenSignatures}: once per window, expired ones dropped first, never past its bound, thread-safe. */
class WebhookReplayGuardTest {

    private static final Instant LATER = NOW.plus(Duration.ofMinutes(5));

    @Test
    void aKeyIsSeenForTheFirstTimeOnceUntilItsEndInclusive() {
        BoundedSeenSignatures guard = new BoundedSeenSignatures(10);

        assertThat(guard.firstSighting("a", LATER, NOW)).isTrue();
        assertThat(guard.firstSighting("a", LATER, NOW)).isFalse();
        assertThat(guard.firstSighting("a", LATER, LATER)).isFalse();
        assertThat(guard.firstSighting("a", LATER.plusSeconds(300), LATER.plusMillis(1))).isTrue();
        assertThat(guard.firstSighting("b", LATER, NOW)).isTrue();
    }

    @Test
    void aKeyWhoseEndHasPassedIsNotKept() {
        BoundedSeenSignatures guard = new BoundedSeenSignatures(10);

        assertThat(guard.firstSighting("old", NOW.minusSeconds(1), NOW)).isTrue();
        assertThat(guard.size()).isZero();
    }

    @Test
    void itNeverHoldsMoreThanItsBoundAndDropsTheOldestCountingThem() {
        BoundedSeenSignatures guard = new BoundedSeenSignatures(3);

        for (int i = 0; i < 10; i++) {
            assertThat(guard.firstSighting("k" + i, LATER, NOW)).isTrue();
            assertThat(guard.size()).isLessThanOrEqualTo(3);
        }

        assertThat(guard.size()).isEqualTo(3);
        assertThat(guard.droppedEarly()).isEqualTo(7);
        // the three newest are remembered, the oldest were forgotten
        assertThat(guard.firstSighting("k9", LATER, NOW)).isFalse();
        assertThat(guard.firstSighting("k7", LATER, NOW)).isFalse();
        assertThat(guard.firstSighting("k0", LATER, NOW)).isTrue();
    }

    @Test
    void expiredEntriesAreDroppedBeforeAnyUnexpiredOne() {
        BoundedSeenSignatures guard = new BoundedSeenSignatures(3);
        guard.firstSighting("oldest-but-long", NOW.plusSeconds(1000), NOW);
        guard.firstSighting("short", NOW.plusSeconds(10), NOW);
        guard.firstSighting("long", NOW.plusSeconds(1000), NOW);

        Instant now = NOW.plusSeconds(11);
        assertThat(guard.firstSighting("new", NOW.plusSeconds(1000), now)).isTrue();

        assertThat(guard.droppedEarly()).isZero();
        assertThat(guard.size()).isEqualTo(3);
        assertThat(guard.firstSighting("oldest-but-long", NOW.plusSeconds(1000), now)).isFalse();
        assertThat(guard.firstSighting("long", NOW.plusSeconds(1000), now)).isFalse();
    }

    @Test
    void aBoundBelowOneIsRefused() {
        assertThatThrownBy(() -> new BoundedSeenSignatures(0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void ofManyThreadsOfferingOneKeyExactlyOneSeesItFirst() throws Exception {
        BoundedSeenSignatures guard = new BoundedSeenSignatures(1000);
        AtomicInteger first = new AtomicInteger();
        CountDownLatch start = new CountDownLatch(1);
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> all = new ArrayList<>();
            for (int t = 0; t < 200; t++) {
                all.add(pool.submit(() -> {
                    start.await();
                    if (guard.firstSighting("same", LATER, NOW)) {
                        first.incrementAndGet();
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : all) {
                f.get();
            }
        }
        assertThat(first).hasValue(1);
    }

    @Test
    void underConcurrentOffersOfDistinctKeysTheBoundHolds() throws Exception {
        int bound = 100;
        int threads = 16;
        int perThread = 1000;
        BoundedSeenSignatures guard = new BoundedSeenSignatures(bound);
        AtomicInteger overBound = new AtomicInteger();
        try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            List<Future<?>> all = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                all.add(pool.submit(() -> {
                    for (int i = 0; i < perThread; i++) {
                        assertThat(guard.firstSighting(thread + "-" + i, LATER, NOW)).isTrue();
                        if (guard.size() > bound) {
                            overBound.incrementAndGet();
                        }
                    }
                }));
            }
            for (Future<?> f : all) {
                f.get();
            }
        }
        assertThat(overBound).hasValue(0);
        assertThat(guard.size()).isEqualTo(bound);
        assertThat(guard.droppedEarly()).isEqualTo((long) threads * perThread - bound);
    }
}
