package ai.aegis.ingress.webhook;

import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;

import static ai.aegis.ingress.webhook.WebhookFixtures.NOW_SECONDS;
import static ai.aegis.ingress.webhook.WebhookFixtures.assertRefused;
import static ai.aegis.ingress.webhook.WebhookFixtures.env;
import static ai.aegis.ingress.webhook.WebhookFixtures.headers;
import static ai.aegis.ingress.webhook.WebhookFixtures.standardSignature;
import static ai.aegis.ingress.webhook.WebhookFixtures.utf8;
import static ai.aegis.ingress.webhook.WebhookFixtures.verifier;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code standard-webhooks}: {@code webhook-id}, {@code webhook-timestamp} and a list of {@code v1,<base64>}
 * signatures of {@code id.ts.body}, keyed with the decoded {@code whsec_} secret.
 */
class WebhookStandardSchemeTest {

    /** The specification's published test vector (also in the Svix libraries' tests). */
    private static final String VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    private static final String VECTOR_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    private static final long VECTOR_TS = 1614265330;
    private static final byte[] VECTOR_BODY = utf8("{\"test\": 2432232314}");
    private static final String VECTOR_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    private static final String SECRET = "whsec_" + Base64.getEncoder().encodeToString(utf8("svix-secret-0123456789"));
    private static final String ID = "msg_2b8f1";
    private static final byte[] BODY = utf8("{\"type\":\"invoice.paid\"}");

    private final WebhookFixtures.MovableClock clock = new WebhookFixtures.MovableClock(WebhookFixtures.NOW);
    private final WebhookConfig config = WebhookConfig.builder()
            .source("svix", WebhookConfig.Source.of(WebhookScheme.STANDARD_WEBHOOKS))
            .build();
    private final WebhookVerifier verifier = verifier(config, env("AEGIS_WEBHOOK_SECRET_SVIX", SECRET), clock);

    private WebhookDelivery send(String id, long ts, String signature, byte[] body) {
        return verifier.verify("svix", headers("webhook-id", id, "webhook-timestamp", Long.toString(ts),
                "webhook-signature", signature), body);
    }

    @Test
    void theSpecificationsTestVectorIsAccepted() {
        WebhookVerifier v = verifier(config, env("AEGIS_WEBHOOK_SECRET_SVIX", VECTOR_SECRET),
                Clock.fixed(Instant.ofEpochSecond(VECTOR_TS), ZoneOffset.UTC));

        WebhookDelivery d = v.verify("svix", headers("webhook-id", VECTOR_ID, "webhook-timestamp",
                Long.toString(VECTOR_TS), "webhook-signature", VECTOR_SIGNATURE), VECTOR_BODY);

        assertThat(d.scheme()).isEqualTo(WebhookScheme.STANDARD_WEBHOOKS);
        assertThat(d.idempotencyKey()).contains(VECTOR_ID);
        assertThat(d.content()).isEqualTo("{\"test\": 2432232314}");
    }

    @Test
    void aSignatureComputedAsTheSpecificationSaysIsAcceptedAndTheIdIsTheIdempotencyKey() {
        WebhookDelivery d = send(ID, NOW_SECONDS, standardSignature(SECRET, ID, NOW_SECONDS, BODY), BODY);

        assertThat(d.idempotencyKey()).contains(ID);
        assertThat(d.source()).isEqualTo("svix");
        // webhook-id is in the default forward list
        assertThat(d.headers()).containsEntry("webhook-id", ID).doesNotContainKey("webhook-signature");
    }

    @Test
    void aSecretWithoutThePrefixIsItsBase64Too() {
        WebhookVerifier v = verifier(config, env("AEGIS_WEBHOOK_SECRET_SVIX", SECRET.substring("whsec_".length())),
                clock);

        assertThat(v.verify("svix", headers("webhook-id", ID, "webhook-timestamp", Long.toString(NOW_SECONDS),
                "webhook-signature", standardSignature(SECRET, ID, NOW_SECONDS, BODY)), BODY)).isNotNull();
    }

    @Test
    void aTamperedBodyIs401InvalidSignature() {
        String sig = standardSignature(SECRET, ID, NOW_SECONDS, BODY);
        assertRefused(() -> send(ID, NOW_SECONDS, sig, utf8("{\"type\":\"invoice.void\"}")), 401,
                "invalid_signature");
    }

    @Test
    void theIdAndTimestampAreSigned() {
        String sig = standardSignature(SECRET, ID, NOW_SECONDS, BODY);
        assertRefused(() -> send("msg_other", NOW_SECONDS, sig, BODY), 401, "invalid_signature");
        assertRefused(() -> send(ID, NOW_SECONDS + 1, sig, BODY), 401, "invalid_signature");
    }

    @Test
    void aWrongSecretIs401InvalidSignature() {
        String other = "whsec_" + Base64.getEncoder().encodeToString(utf8("another-secret"));
        WebhookRefusal r = assertRefused(() -> send(ID, NOW_SECONDS, standardSignature(other, ID, NOW_SECONDS, BODY),
                BODY), 401, "invalid_signature");

        assertThat(r.message()).doesNotContain(SECRET).doesNotContain(SECRET.substring(6))
                .doesNotContain(standardSignature(SECRET, ID, NOW_SECONDS, BODY).substring(3));
    }

    @Test
    void oneMatchingV1EntryAmongSeveralIsEnoughAndOtherVersionsAreSkipped() {
        String other = "whsec_" + Base64.getEncoder().encodeToString(utf8("another-secret"));
        String list = "v1a,c29tZXRoaW5nIGVsc2U= " + standardSignature(other, ID, NOW_SECONDS, BODY) + "  "
                + standardSignature(SECRET, ID, NOW_SECONDS, BODY) + " v2,notevenbase64!";

        assertThat(send(ID, NOW_SECONDS, list, BODY).idempotencyKey()).contains(ID);
    }

    @Test
    void aV1EntryOfAnotherLengthIs401InvalidSignature() {
        assertRefused(() -> send(ID, NOW_SECONDS, "v1,AAAA", BODY), 401, "invalid_signature");
    }

    @Test
    void entriesOfOtherVersionsOnlyAre401InvalidSignature() {
        assertRefused(() -> send(ID, NOW_SECONDS, "v1a,c29tZXRoaW5nIGVsc2U=", BODY), 401, "invalid_signature");
    }

    @Test
    void rotatedSecretsInTheEnvironmentAreEachAccepted() {
        String old = "whsec_" + Base64.getEncoder().encodeToString(utf8("the-old-one"));
        WebhookVerifier v = verifier(config, env("AEGIS_WEBHOOK_SECRET_SVIX", old + "," + SECRET), clock);

        assertThat(v.verify("svix", headers("webhook-id", "a", "webhook-timestamp", Long.toString(NOW_SECONDS),
                "webhook-signature", standardSignature(old, "a", NOW_SECONDS, BODY)), BODY)).isNotNull();
        assertThat(v.verify("svix", headers("webhook-id", "b", "webhook-timestamp", Long.toString(NOW_SECONDS),
                "webhook-signature", standardSignature(SECRET, "b", NOW_SECONDS, BODY)), BODY)).isNotNull();
    }

    @Test
    void anyOfTheThreeHeadersMissingIs401MissingSignature() {
        String ts = Long.toString(NOW_SECONDS);
        String sig = standardSignature(SECRET, ID, NOW_SECONDS, BODY);
        assertRefused(() -> verifier.verify("svix", headers("webhook-timestamp", ts, "webhook-signature", sig), BODY),
                401, "missing_signature");
        assertRefused(() -> verifier.verify("svix", headers("webhook-id", ID, "webhook-signature", sig), BODY),
                401, "missing_signature");
        assertRefused(() -> verifier.verify("svix", headers("webhook-id", ID, "webhook-timestamp", ts), BODY),
                401, "missing_signature");
        assertRefused(() -> verifier.verify("svix", headers(), BODY), 401, "missing_signature");
    }

    @Test
    void malformedEntriesAre400MalformedSignature() {
        for (String bad : new String[] {"", "   ", "v1", "v1,", ",abc", "v1,not base64!", "v1,@@@@"}) {
            assertRefused(() -> send(ID, NOW_SECONDS, bad, BODY), 400, "malformed_signature");
        }
    }

    @Test
    void aTimestampThatIsNotAnIntegerIs400MalformedTimestamp() {
        String sig = standardSignature(SECRET, ID, NOW_SECONDS, BODY);
        assertRefused(() -> verifier.verify("svix", headers("webhook-id", ID, "webhook-timestamp", "now",
                "webhook-signature", sig), BODY), 400, "malformed_timestamp");
    }

    @Test
    void aWebhookIdThatIsBlankOrLongerThan256Is400MalformedIdempotencyKey() {
        String ts = Long.toString(NOW_SECONDS);
        String longId = "m".repeat(257);
        assertRefused(() -> verifier.verify("svix", headers("webhook-id", longId, "webhook-timestamp", ts,
                "webhook-signature", standardSignature(SECRET, longId, NOW_SECONDS, BODY)), BODY), 400,
                "malformed_idempotency_key");
        assertRefused(() -> verifier.verify("svix", headers("webhook-id", " ", "webhook-timestamp", ts,
                "webhook-signature", standardSignature(SECRET, " ", NOW_SECONDS, BODY)), BODY), 400,
                "malformed_idempotency_key");
    }

    @Test
    void aTimestampOutsideThe300SecondWindowIs401StaleTimestamp() {
        long past = NOW_SECONDS - 301;
        long future = NOW_SECONDS + 301;
        assertRefused(() -> send(ID, past, standardSignature(SECRET, ID, past, BODY), BODY), 401, "stale_timestamp");
        assertRefused(() -> send(ID, future, standardSignature(SECRET, ID, future, BODY), BODY), 401,
                "stale_timestamp");
        long edge = NOW_SECONDS - 300;
        assertThat(send(ID, edge, standardSignature(SECRET, ID, edge, BODY), BODY)).isNotNull();
    }

    @Test
    void theSameDeliveryAgainIs401ReplayedSignatureEvenWithOnlySomeOfItsEntries() {
        String other = "whsec_" + Base64.getEncoder().encodeToString(utf8("the-next-one"));
        WebhookVerifier v = verifier(config, env("AEGIS_WEBHOOK_SECRET_SVIX", SECRET + "," + other), clock);
        String mine = standardSignature(SECRET, ID, NOW_SECONDS, BODY);
        String next = standardSignature(other, ID, NOW_SECONDS, BODY);
        v.verify("svix", headers("webhook-id", ID, "webhook-timestamp", Long.toString(NOW_SECONDS),
                "webhook-signature", mine + " " + next), BODY);

        for (String replay : new String[] {mine + " " + next, next, mine}) {
            assertRefused(() -> v.verify("svix", headers("webhook-id", ID, "webhook-timestamp",
                    Long.toString(NOW_SECONDS), "webhook-signature", replay), BODY), 401, "replayed_signature");
        }
    }

    @Test
    void aRetryOfTheSenderWithANewTimestampPassesWithTheSameIdempotencyKey() {
        send(ID, NOW_SECONDS, standardSignature(SECRET, ID, NOW_SECONDS, BODY), BODY);
        long later = NOW_SECONDS + 30;

        assertThat(send(ID, later, standardSignature(SECRET, ID, later, BODY), BODY).idempotencyKey()).contains(ID);
    }

    @Test
    void aSecretInTheEnvironmentThatIsNotBase64IsIgnored() {
        WebhookVerifier v = verifier(config, env("AEGIS_WEBHOOK_SECRET_SVIX", "whsec_not*base64"), clock);

        assertRefused(() -> v.verify("svix", headers("webhook-id", ID, "webhook-timestamp",
                Long.toString(NOW_SECONDS), "webhook-signature", standardSignature(SECRET, ID, NOW_SECONDS, BODY)),
                BODY), 401, "secret_not_found");
    }

    @Test
    void theFormIsCheckedBeforeTheSecretAndTheWindowBeforeTheDigest() {
        WebhookVerifier noSecret = verifier(config, env(), clock);
        assertRefused(() -> noSecret.verify("svix", headers("webhook-id", ID), BODY), 401, "missing_signature");
        assertRefused(() -> noSecret.verify("svix", headers("webhook-id", ID, "webhook-timestamp", "x",
                "webhook-signature", "v1,AAAA"), BODY), 400, "malformed_timestamp");
        assertRefused(() -> noSecret.verify("svix", headers("webhook-id", ID, "webhook-timestamp", "1",
                "webhook-signature", "v1"), BODY), 400, "malformed_signature");
        assertRefused(() -> noSecret.verify("svix", headers("webhook-id", ID, "webhook-timestamp", "1",
                "webhook-signature", "v1,AAAA"), BODY), 401, "secret_not_found");
        assertRefused(() -> send(ID, 1, "v1,AAAA", BODY), 401, "stale_timestamp");
    }
}
