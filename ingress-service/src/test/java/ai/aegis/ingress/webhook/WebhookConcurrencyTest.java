package ai.aegis.ingress.webhook;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

import static ai.aegis.ingress.webhook.WebhookFixtures.NOW_SECONDS;
import static ai.aegis.ingress.webhook.WebhookFixtures.aegisSignature;
import static ai.aegis.ingress.webhook.WebhookFixtures.assertRefused;
import static ai.aegis.ingress.webhook.WebhookFixtures.env;
import static ai.aegis.ingress.webhook.WebhookFixtures.headers;
import static ai.aegis.ingress.webhook.WebhookFixtures.timestampedSignature;
import static ai.aegis.ingress.webhook.WebhookFixtures.utf8;
import static ai.aegis.ingress.webhook.WebhookFixtures.verifier;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * One verifier on many virtual threads at once: every genuine delivery passes, every forged one fails, each replayed
 * one passes exactly once; and the shared {@code Mac} prototype is cloned, never looked up again.
 */
class WebhookConcurrencyTest {

    private static final String OLD = "rotating-old";
    private static final String NEW = "rotating-new";

    @Test
    void manyThreadsVerifyingAtOnceGetTheSameAnswersAsOne() throws Exception {
        WebhookVerifier verifier = verifier(WebhookConfig.builder()
                        .source("billing", WebhookConfig.Source.of(WebhookScheme.AEGIS_TIMESTAMPED)).build(),
                env("AEGIS_WEBHOOK_SECRET_BILLING", OLD + "," + NEW));
        int deliveries = 2000;
        AtomicInteger accepted = new AtomicInteger();
        AtomicInteger replayed = new AtomicInteger();
        AtomicInteger forgedPassed = new AtomicInteger();
        CountDownLatch start = new CountDownLatch(1);
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> all = new ArrayList<>();
            for (int i = 0; i < deliveries; i++) {
                byte[] body = utf8("{\"n\":" + i + "}");
                String sig = timestampedSignature(i % 2 == 0 ? OLD : NEW, NOW_SECONDS, body);
                String forged = timestampedSignature("forged", NOW_SECONDS, body);
                WebhookHeaders genuine = headers("X-Aegis-Signature", sig, "X-Aegis-Timestamp",
                        Long.toString(NOW_SECONDS));
                WebhookHeaders fake = headers("X-Aegis-Signature", forged, "X-Aegis-Timestamp",
                        Long.toString(NOW_SECONDS));
                // each genuine delivery twice, at the same moment: one passes, the other is a replay
                for (int copy = 0; copy < 2; copy++) {
                    all.add(pool.submit(() -> {
                        start.await();
                        try {
                            verifier.verify("billing", genuine, body);
                            accepted.incrementAndGet();
                        } catch (WebhookRefusedException e) {
                            assertThat(e.refusal().code()).isEqualTo("replayed_signature");
                            replayed.incrementAndGet();
                        }
                        return null;
                    }));
                }
                all.add(pool.submit(() -> {
                    start.await();
                    try {
                        verifier.verify("billing", fake, body);
                        forgedPassed.incrementAndGet();
                    } catch (WebhookRefusedException e) {
                        assertThat(e.refusal().code()).isEqualTo("invalid_signature");
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : all) {
                f.get();
            }
        }

        assertThat(accepted).hasValue(deliveries);
        assertThat(replayed).hasValue(deliveries);
        assertThat(forgedPassed).hasValue(0);
        // two secrets, resolved once however many first deliveries race
        assertThat(verifier.macLookups()).isEqualTo(2);
    }

    @Test
    void theJdksHmacIsCloneableSoAVerificationLooksNoProviderUp() {
        assertThat(new HmacKey(utf8("k"), new LongAdder()).cloneable()).isTrue();
        WebhookVerifier verifier = verifier(WebhookConfig.builder().build(),
                env("AEGIS_WEBHOOK_SECRET_GITHUB", "one-secret"));
        byte[] body = new byte[1024];
        Arrays.fill(body, (byte) 'a');
        WebhookHeaders headers = headers("X-Aegis-Signature", aegisSignature("one-secret", body));

        for (int i = 0; i < 10_000; i++) {
            verifier.verify("github", headers, body);
        }

        assertThat(verifier.macLookups()).isEqualTo(1);
        assertRefused(() -> verifier.verify("github", headers, utf8("other")), 401, "invalid_signature");
        assertThat(verifier.macLookups()).isEqualTo(1);
    }
}
