package ai.aegis.ingress.webhook;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static ai.aegis.ingress.webhook.WebhookFixtures.NOW;
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
 * {@code aegis-timestamped}: the HMAC over {@code <ts>.<body>}, the timestamp within the tolerance of the clock, each
 * signature accepted once inside its window.
 */
class WebhookTimestampedSchemeTest {

    private static final String SECRET = "billing-secret";
    private static final byte[] BODY = utf8("{\"invoice\":\"in_1\",\"paid\":true}");
    private static final String SIG = "X-Aegis-Signature";
    private static final String TS = "X-Aegis-Timestamp";

    private final WebhookFixtures.MovableClock clock = new WebhookFixtures.MovableClock(NOW);
    private final WebhookVerifier verifier = verifier(WebhookConfig.builder()
                    .source("billing", WebhookConfig.Source.of(WebhookScheme.AEGIS_TIMESTAMPED))
                    .source("fast", WebhookConfig.Source.of(WebhookScheme.AEGIS_TIMESTAMPED)
                            .withTolerance(Duration.ofSeconds(60)))
                    .build(),
            env("AEGIS_WEBHOOK_SECRET_BILLING", SECRET, "AEGIS_WEBHOOK_SECRET_FAST", SECRET), clock);

    private WebhookDelivery send(String source, long ts, String signature) {
        return verifier.verify(source, headers(SIG, signature, TS, Long.toString(ts)), BODY);
    }

    @Test
    void aSignatureOfTheTimestampAndBodyIsAccepted() {
        WebhookDelivery d = send("billing", NOW_SECONDS, timestampedSignature(SECRET, NOW_SECONDS, BODY));

        assertThat(d.scheme()).isEqualTo(WebhookScheme.AEGIS_TIMESTAMPED);
        assertThat(d.content()).isEqualTo("{\"invoice\":\"in_1\",\"paid\":true}");
    }

    @Test
    void withoutAKeyOfItsOwnTheSignedDigestIsTheIdempotencyKeySoThatAReplayOnAnotherNodeIsADuplicate() {
        String signature = timestampedSignature(SECRET, NOW_SECONDS, BODY);
        WebhookDelivery d = send("billing", NOW_SECONDS, signature);
        assertThat(d.idempotencyKey()).contains(WebhookVerifier.SIGNATURE_KEY_PREFIX
                + signature.substring("sha256=".length()).toLowerCase(java.util.Locale.ROOT));
        // another node (its own replay guard) derives the same key from the same delivery
        WebhookVerifier otherNode = verifier(WebhookConfig.builder()
                .source("billing", WebhookConfig.Source.of(WebhookScheme.AEGIS_TIMESTAMPED)).build(),
                env("AEGIS_WEBHOOK_SECRET_BILLING", SECRET), clock);
        assertThat(otherNode.verify("billing", headers(SIG, signature.toUpperCase(java.util.Locale.ROOT)
                .replace("SHA256=", "sha256="), TS, Long.toString(NOW_SECONDS)), BODY).idempotencyKey())
                .isEqualTo(d.idempotencyKey());
        // a key of its own is kept
        long later = NOW_SECONDS + 1;
        WebhookDelivery keyed = verifier.verify("billing", headers(SIG, timestampedSignature(SECRET, later, BODY),
                TS, Long.toString(later), "X-Idempotency-Key", "evt-9"), BODY);
        assertThat(keyed.idempotencyKey()).contains("evt-9");
    }

    @Test
    void theWindowIsPlusOrMinus300SecondsBoundsIncluded() {
        long past = NOW_SECONDS - 300;
        long future = NOW_SECONDS + 300;

        assertThat(send("billing", past, timestampedSignature(SECRET, past, BODY))).isNotNull();
        assertThat(send("billing", future, timestampedSignature(SECRET, future, BODY))).isNotNull();
    }

    @Test
    void aTimestampTooFarInThePastIs401StaleTimestamp() {
        long ts = NOW_SECONDS - 301;
        assertRefused(() -> send("billing", ts, timestampedSignature(SECRET, ts, BODY)), 401, "stale_timestamp");
    }

    @Test
    void aTimestampTooFarInTheFutureIs401StaleTimestamp() {
        long ts = NOW_SECONDS + 301;
        assertRefused(() -> send("billing", ts, timestampedSignature(SECRET, ts, BODY)), 401, "stale_timestamp");
    }

    @Test
    void theToleranceIsPerSource() {
        long ts = NOW_SECONDS - 61;
        assertRefused(() -> send("fast", ts, timestampedSignature(SECRET, ts, BODY)), 401, "stale_timestamp");
        long inside = NOW_SECONDS - 60;
        assertThat(send("fast", inside, timestampedSignature(SECRET, inside, BODY))).isNotNull();
    }

    @Test
    void withoutTheTimestampHeaderIs401MissingTimestamp() {
        assertRefused(() -> verifier.verify("billing",
                headers(SIG, timestampedSignature(SECRET, NOW_SECONDS, BODY)), BODY), 401, "missing_timestamp");
    }

    @Test
    void aTimestampThatIsNotAnIntegerIs400MalformedTimestamp() {
        String sig = timestampedSignature(SECRET, NOW_SECONDS, BODY);
        for (String bad : new String[] {"", "soon", "1764590400.5", "1764590400s", "99999999999999999999"}) {
            assertRefused(() -> verifier.verify("billing", headers(SIG, sig, TS, bad), BODY), 400,
                    "malformed_timestamp");
        }
    }

    @Test
    void theSameSignatureAgainInsideItsWindowIs401ReplayedSignature() {
        String sig = timestampedSignature(SECRET, NOW_SECONDS, BODY);
        send("billing", NOW_SECONDS, sig);

        assertRefused(() -> send("billing", NOW_SECONDS, sig), 401, "replayed_signature");
        // the same digest in upper-case hex is the same delivery
        assertRefused(() -> send("billing", NOW_SECONDS, "sha256=" + sig.substring(7).toUpperCase()), 401,
                "replayed_signature");
        clock.advance(Duration.ofSeconds(299));
        assertRefused(() -> send("billing", NOW_SECONDS, sig), 401, "replayed_signature");
    }

    @Test
    void afterItsWindowAReplayIsStaleRatherThanReplayed() {
        String sig = timestampedSignature(SECRET, NOW_SECONDS, BODY);
        send("billing", NOW_SECONDS, sig);

        clock.advance(Duration.ofSeconds(301));

        assertRefused(() -> send("billing", NOW_SECONDS, sig), 401, "stale_timestamp");
    }

    @Test
    void aNewTimestampWithItsOwnSignatureIsANewDelivery() {
        send("billing", NOW_SECONDS, timestampedSignature(SECRET, NOW_SECONDS, BODY));
        long retry = NOW_SECONDS + 1;

        assertThat(send("billing", retry, timestampedSignature(SECRET, retry, BODY))).isNotNull();
    }

    @Test
    void theTimestampIsSigned() {
        // a signature of the body alone, or of another timestamp, does not pass
        assertRefused(() -> send("billing", NOW_SECONDS, aegisSignature(SECRET, BODY)), 401, "invalid_signature");
        String other = timestampedSignature(SECRET, NOW_SECONDS - 10, BODY);
        assertRefused(() -> send("billing", NOW_SECONDS, other), 401, "invalid_signature");
    }

    @Test
    void aWrongSecretIs401InvalidSignatureAndTakesNoPlaceInTheReplayGuard() {
        assertRefused(() -> send("billing", NOW_SECONDS, timestampedSignature("forged", NOW_SECONDS, BODY)), 401,
                "invalid_signature");

        assertThat(send("billing", NOW_SECONDS, timestampedSignature(SECRET, NOW_SECONDS, BODY))).isNotNull();
    }

    @Test
    void theOrderIsSignatureFormTimestampFormSecretWindowDigestReplay() {
        String sig = timestampedSignature(SECRET, NOW_SECONDS, BODY);
        // form of the signature before the timestamp
        assertRefused(() -> verifier.verify("billing", headers(SIG, "sha256=", TS, "x"), BODY), 400,
                "malformed_signature");
        assertRefused(() -> verifier.verify("billing", headers(TS, "x"), BODY), 401, "missing_signature");
        // the timestamp's form before the secret (nobody has no secret; it is an aegis source though, so use a
        // configured timestamped source without one)
        WebhookVerifier noSecret = verifier(WebhookConfig.builder()
                .source("billing", WebhookConfig.Source.of(WebhookScheme.AEGIS_TIMESTAMPED)).build(), env(), clock);
        assertRefused(() -> noSecret.verify("billing", headers(SIG, sig, TS, "x"), BODY), 400,
                "malformed_timestamp");
        assertRefused(() -> noSecret.verify("billing", headers(SIG, sig), BODY), 401, "missing_timestamp");
        // the secret before the window
        long stale = NOW_SECONDS - 1000;
        assertRefused(() -> noSecret.verify("billing", headers(SIG, sig, TS, Long.toString(stale)), BODY), 401,
                "secret_not_found");
        // the window before the digest
        assertRefused(() -> send("billing", stale, timestampedSignature("forged", stale, BODY)), 401,
                "stale_timestamp");
    }
}
