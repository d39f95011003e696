package ai.aegis.ingress.webhook;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

import static ai.aegis.ingress.webhook.WebhookFixtures.aegisSignature;
import static ai.aegis.ingress.webhook.WebhookFixtures.assertRefused;
import static ai.aegis.ingress.webhook.WebhookFixtures.env;
import static ai.aegis.ingress.webhook.WebhookFixtures.headers;
import static ai.aegis.ingress.webhook.WebhookFixtures.hmac;
import static ai.aegis.ingress.webhook.WebhookFixtures.utf8;
import static ai.aegis.ingress.webhook.WebhookFixtures.verifier;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** The default scheme: {@code X-Aegis-Signature: sha256=<hex>} over the raw body; every answer by status and code. */
class WebhookAegisSchemeTest {

    private static final String SECRET = "s3cr3t-github";
    private static final byte[] BODY = utf8("{\"action\":\"opened\",\"number\":7}");
    private static final String SIG = "X-Aegis-Signature";

    private final WebhookVerifier verifier = verifier(WebhookConfig.builder().build(),
            env("AEGIS_WEBHOOK_SECRET_GITHUB", SECRET));

    @Test
    void aSignatureOfTheBodyWithTheSourcesSecretIsAccepted() {
        WebhookDelivery d = verifier.verify("github", headers(SIG, aegisSignature(SECRET, BODY)), BODY);

        assertThat(d.source()).isEqualTo("github");
        assertThat(d.scheme()).isEqualTo(WebhookScheme.AEGIS);
        assertThat(d.content()).isEqualTo("{\"action\":\"opened\",\"number\":7}");
        assertThat(d.contentEncoding()).isEqualTo("utf-8");
        assertThat(d.idempotencyKey()).isEmpty();
    }

    @Test
    void theSourceNameAndTheHeaderNameIgnoreCase() {
        WebhookDelivery d = verifier.verify("GitHub", headers("x-AEGIS-signature", aegisSignature(SECRET, BODY)),
                BODY);

        assertThat(d.source()).isEqualTo("github");
    }

    @Test
    void upperCaseHexIsTheSameDigest() {
        String hex = HexFormat.of().formatHex(hmac(utf8(SECRET), BODY)).toUpperCase();

        assertThat(verifier.verify("github", headers(SIG, "sha256=" + hex), BODY).source()).isEqualTo("github");
    }

    @Test
    void withoutTheSignatureHeaderIs401MissingSignature() {
        assertRefused(() -> verifier.verify("github", headers(), BODY), 401, "missing_signature");
    }

    @Test
    void anotherPrefixIs400MalformedSignature() {
        String hex = aegisSignature(SECRET, BODY).substring("sha256=".length());
        assertRefused(() -> verifier.verify("github", headers(SIG, "sha1=" + hex), BODY), 400, "malformed_signature");
        assertRefused(() -> verifier.verify("github", headers(SIG, "SHA256=" + hex), BODY), 400,
                "malformed_signature");
        assertRefused(() -> verifier.verify("github", headers(SIG, hex), BODY), 400, "malformed_signature");
        assertRefused(() -> verifier.verify("github", headers(SIG, ""), BODY), 400, "malformed_signature");
    }

    @Test
    void anEmptyHexPartIs400MalformedSignature() {
        assertRefused(() -> verifier.verify("github", headers(SIG, "sha256="), BODY), 400, "malformed_signature");
    }

    @Test
    void oddLengthHexIs400MalformedSignature() {
        String sig = aegisSignature(SECRET, BODY);
        assertRefused(() -> verifier.verify("github", headers(SIG, sig.substring(0, sig.length() - 1)), BODY), 400,
                "malformed_signature");
    }

    @Test
    void nonHexIs400MalformedSignature() {
        String sig = aegisSignature(SECRET, BODY);
        String notHex = sig.substring(0, sig.length() - 2) + "zz";
        assertRefused(() -> verifier.verify("github", headers(SIG, notHex), BODY), 400, "malformed_signature");
    }

    @Test
    void aWrongSecretIs401InvalidSignatureAndTheMessageTellsNoSecretNorDigest() {
        String expected = aegisSignature(SECRET, BODY).substring("sha256=".length());

        WebhookRefusal r = assertRefused(() -> verifier.verify("github",
                headers(SIG, aegisSignature("not-the-secret", BODY)), BODY), 401, "invalid_signature");

        assertThat(r.message()).doesNotContain(SECRET).doesNotContainIgnoringCase(expected);
        assertThat(r.toString()).doesNotContain(SECRET).doesNotContainIgnoringCase(expected);
    }

    @Test
    void aRefusalIsAnExceptionWithoutStackTraceCarryingTheJsonBody() {
        WebhookRefusedException e = catchThrowableOfType(WebhookRefusedException.class,
                () -> verifier.verify("github", headers(), BODY));

        assertThat(e.getStackTrace()).isEmpty();
        assertThat(e.getMessage()).startsWith("missing_signature: ");
        assertThat(e.refusal().body()).containsOnlyKeys("error", "message")
                .containsEntry("error", "missing_signature");
    }

    @Test
    void aTamperedBodyIs401InvalidSignature() {
        String sig = aegisSignature(SECRET, BODY);
        assertRefused(() -> verifier.verify("github", headers(SIG, sig), utf8("{\"action\":\"closed\"}")), 401,
                "invalid_signature");
    }

    @Test
    void aDigestOfAnotherLengthIs401InvalidSignature() {
        assertRefused(() -> verifier.verify("github", headers(SIG, "sha256=abcd"), BODY), 401, "invalid_signature");
    }

    @Test
    void whileASecretIsRotatedBothTheOldAndTheNewOneAreAccepted() {
        WebhookVerifier rotating = verifier(WebhookConfig.builder().build(),
                env("AEGIS_WEBHOOK_SECRET_GITHUB", " old-secret , new-secret "));

        assertThat(rotating.verify("github", headers(SIG, aegisSignature("new-secret", BODY)), BODY)).isNotNull();
        assertThat(rotating.verify("github", headers(SIG, aegisSignature("old-secret", BODY)), BODY)).isNotNull();
        assertRefused(() -> rotating.verify("github", headers(SIG, aegisSignature("third", BODY)), BODY), 401,
                "invalid_signature");
    }

    @Test
    void aSourceWithoutASecretIs401SecretNotFound() {
        assertRefused(() -> verifier.verify("gitlab", headers(SIG, aegisSignature(SECRET, BODY)), BODY), 401,
                "secret_not_found");
        WebhookVerifier blank = verifier(WebhookConfig.builder().build(), env("AEGIS_WEBHOOK_SECRET_GITLAB", " , "));
        assertRefused(() -> blank.verify("gitlab", headers(SIG, aegisSignature(SECRET, BODY)), BODY), 401,
                "secret_not_found");
    }

    @Test
    void theSignaturesFormIsCheckedBeforeTheSecretAndTheSecretBeforeTheDigest() {
        // no secret for gitlab: the header's absence or form still answers first
        assertRefused(() -> verifier.verify("gitlab", headers(), BODY), 401, "missing_signature");
        assertRefused(() -> verifier.verify("gitlab", headers(SIG, "sha256=xyz"), BODY), 400, "malformed_signature");
        // a wrong digest for a source without a secret: the secret is looked up first
        assertRefused(() -> verifier.verify("gitlab", headers(SIG, "sha256=abcd"), BODY), 401, "secret_not_found");
    }

    @Test
    void theEnvironmentVariableIsTheNameUpperCasedWithDashesAndDotsAsUnderscores() {
        List<String> asked = new ArrayList<>();
        WebhookVerifier v = verifier(WebhookConfig.builder().build(), name -> {
            asked.add(name);
            return name.equals("AEGIS_WEBHOOK_SECRET_GIT_HUB_V2") ? SECRET : null;
        });

        assertThat(v.verify("Git-Hub.v2", headers(SIG, aegisSignature(SECRET, BODY)), BODY).source())
                .isEqualTo("git-hub.v2");
        assertThat(asked).containsExactly("AEGIS_WEBHOOK_SECRET_GIT_HUB_V2");
        assertThat(WebhookConfig.environmentVariable("git-hub.v2")).isEqualTo("AEGIS_WEBHOOK_SECRET_GIT_HUB_V2");
        assertThat(WebhookConfig.environmentVariable("Stripe")).isEqualTo("AEGIS_WEBHOOK_SECRET_STRIPE");
        assertThat(WebhookConfig.environmentVariable("a_b")).isEqualTo("AEGIS_WEBHOOK_SECRET_A_B");
    }

    @Test
    void aSourceFoundInTheEnvironmentIsLookedUpOnceAndAnUnknownOneIsNotKept() {
        List<String> asked = new ArrayList<>();
        WebhookVerifier v = verifier(WebhookConfig.builder().build(), name -> {
            asked.add(name);
            return name.equals("AEGIS_WEBHOOK_SECRET_GITHUB") ? SECRET : null;
        });

        for (int i = 0; i < 3; i++) {
            v.verify("github", headers(SIG, aegisSignature(SECRET, BODY)), BODY);
            assertRefused(() -> v.verify("nobody", headers(SIG, aegisSignature(SECRET, BODY)), BODY), 401,
                    "secret_not_found");
        }

        assertThat(asked).filteredOn(n -> n.endsWith("GITHUB")).hasSize(1);
        assertThat(asked).filteredOn(n -> n.endsWith("NOBODY")).hasSize(3);
    }

    @Test
    void configuredSecretsComeFirstAndTheEnvironmentIsThenNotRead() {
        WebhookConfig config = WebhookConfig.builder()
                .source("github", WebhookConfig.Source.of(WebhookScheme.AEGIS).withSecrets("from-config"))
                .build();
        WebhookVerifier v = verifier(config, env("AEGIS_WEBHOOK_SECRET_GITHUB", "from-env"));

        assertThat(v.verify("github", headers(SIG, aegisSignature("from-config", BODY)), BODY)).isNotNull();
        assertRefused(() -> v.verify("github", headers(SIG, aegisSignature("from-env", BODY)), BODY), 401,
                "invalid_signature");
    }

    @Test
    void aConfiguredSourceWithoutSecretsUsesTheEnvironment() {
        WebhookConfig config = WebhookConfig.builder()
                .source("github", WebhookConfig.Source.of(WebhookScheme.AEGIS))
                .build();
        WebhookVerifier v = verifier(config, env("AEGIS_WEBHOOK_SECRET_GITHUB", "from-env"));

        assertThat(v.verify("github", headers(SIG, aegisSignature("from-env", BODY)), BODY)).isNotNull();
    }

    @Test
    void anIdempotencyKeyIsCarriedWhenSentAndRefusedWhenBlankOrTooLong() {
        String sig = aegisSignature(SECRET, BODY);

        assertThat(verifier.verify("github", headers(SIG, sig, "X-Idempotency-Key", "delivery-1"), BODY)
                .idempotencyKey()).isEqualTo(Optional.of("delivery-1"));
        assertThat(verifier.verify("github", headers(SIG, sig, "X-Idempotency-Key", "k".repeat(256)), BODY)
                .idempotencyKey()).contains("k".repeat(256));
        assertRefused(() -> verifier.verify("github", headers(SIG, sig, "X-Idempotency-Key", "  "), BODY), 400,
                "malformed_idempotency_key");
        assertRefused(() -> verifier.verify("github", headers(SIG, sig, "X-Idempotency-Key", "k".repeat(257)), BODY),
                400, "malformed_idempotency_key");
    }

    @Test
    void aSourceNameThatIsEmptyOrHasASlashOrWhitespaceIs400MalformedSource() {
        String sig = aegisSignature(SECRET, BODY);
        for (String bad : new String[] {"", "git/hub", "git hub", "github\t", "git\nhub"}) {
            assertRefused(() -> verifier.verify(bad, headers(SIG, sig), BODY), 400, "malformed_source");
        }
        assertRefused(() -> verifier.verify(null, headers(SIG, sig), BODY), 400, "malformed_source");
    }

    @Test
    void theUntimestampedSchemeHasNoReplayGuard() {
        String sig = aegisSignature(SECRET, BODY);

        verifier.verify("github", headers(SIG, sig), BODY);
        assertThat(verifier.verify("github", headers(SIG, sig), BODY)).isNotNull();
    }
}
