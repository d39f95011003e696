package ai.aegis.ingress.webhook;

import ai.aegis.topology.config.AegisConfigLoader;
import io.helidon.common.media.type.MediaTypes;
import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code aegis.webhooks.*} read through the builder: the defaults, every key, and refused values. */
class WebhookConfigTest {

    private static Config yaml(String text) {
        return Config.just(ConfigSources.create(text, MediaTypes.APPLICATION_X_YAML)).get("aegis");
    }

    @Test
    void anEmptyConfigurationIsEveryDefault() {
        WebhookConfig config = WebhookConfig.from(Config.empty());

        assertThat(config).isEqualTo(WebhookConfig.builder().build());
        assertThat(config.replayGuardEntries()).isEqualTo(100_000);
        assertThat(config.forwardHeaders()).containsExactly("content-type", "user-agent", "x-github-event",
                "x-github-delivery", "x-gitlab-event", "x-request-id", "webhook-id");
        assertThat(config.sources()).isEmpty();
        assertThat(config.source("anything")).isEqualTo(WebhookConfig.Source.DEFAULT);
        assertThat(WebhookConfig.Source.DEFAULT.scheme()).isEqualTo(WebhookScheme.AEGIS);
        assertThat(WebhookConfig.Source.DEFAULT.tolerance()).isEqualTo(Duration.ofSeconds(300));
        assertThat(WebhookConfig.Source.DEFAULT.secrets()).isEmpty();
    }

    @Test
    void everyKeyIsReadFromYaml() {
        WebhookConfig config = WebhookConfig.from(yaml("""
                aegis:
                  webhooks:
                    replay-guard-entries: 5000
                    forward-headers: [Content-Type, user-agent, x-github-event]
                    sources:
                      GitHub: { scheme: aegis, secrets: "s1, s2" }
                      billing: { scheme: aegis-timestamped, tolerance-seconds: 120 }
                      svix: { scheme: standard-webhooks, secrets: [whsec_c2VjcmV0] }
                """));

        assertThat(config.replayGuardEntries()).isEqualTo(5000);
        assertThat(config.forwardHeaders()).containsExactly("content-type", "user-agent", "x-github-event");
        assertThat(config.sources()).containsOnlyKeys("github", "billing", "svix");
        assertThat(config.source("github"))
                .isEqualTo(new WebhookConfig.Source(WebhookScheme.AEGIS, List.of("s1", "s2"), Duration.ofSeconds(300)));
        assertThat(config.source("billing")).isEqualTo(new WebhookConfig.Source(WebhookScheme.AEGIS_TIMESTAMPED,
                List.of(), Duration.ofSeconds(120)));
        assertThat(config.source("svix").scheme()).isEqualTo(WebhookScheme.STANDARD_WEBHOOKS);
        assertThat(config.source("svix").secrets()).containsExactly("whsec_c2VjcmV0");
    }

    @Test
    void forwardHeadersMayBeACommaSeparatedString() {
        WebhookConfig config = WebhookConfig.from(yaml("""
                aegis:
                  webhooks:
                    forward-headers: "content-type, x-request-id"
                """));

        assertThat(config.forwardHeaders()).containsExactly("content-type", "x-request-id");
    }

    @Test
    void keysAreReadFromTheEnvironmentLikeEveryOther() {
        Config aegis = AegisConfigLoader.load(Optional.empty(), Map.of(
                "AEGIS_WEBHOOKS_REPLAY__GUARD__ENTRIES", "77",
                "AEGIS_WEBHOOKS_SOURCES_BILLING_SCHEME", "aegis-timestamped",
                "AEGIS_WEBHOOKS_SOURCES_BILLING_TOLERANCE__SECONDS", "30")).get("aegis");

        WebhookConfig config = WebhookConfig.from(aegis);

        assertThat(config.replayGuardEntries()).isEqualTo(77);
        assertThat(config.source("billing").scheme()).isEqualTo(WebhookScheme.AEGIS_TIMESTAMPED);
        assertThat(config.source("billing").tolerance()).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void anUnknownSchemeIsRefusedNamingTheKey() {
        assertThatThrownBy(() -> WebhookConfig.from(yaml("""
                aegis:
                  webhooks:
                    sources:
                      github: { scheme: hmac-md5 }
                """)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("aegis.webhooks.sources.github.scheme")
                .hasMessageContaining("hmac-md5");
    }

    @Test
    void anUnknownSettingOfASourceIsRefusedNamingTheKey() {
        assertThatThrownBy(() -> WebhookConfig.from(yaml("""
                aegis:
                  webhooks:
                    sources:
                      github: { secret: "typo" }
                """)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("aegis.webhooks.sources.github.secret")
                .hasMessageNotContaining("typo");
    }

    @Test
    void aSourceNamedTwiceIgnoringCaseIsRefused() {
        assertThatThrownBy(() -> WebhookConfig.from(yaml("""
                aegis:
                  webhooks:
                    sources:
                      github: { scheme: aegis }
                      GitHub: { scheme: aegis-timestamped }
                """)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("twice");
    }

    @Test
    void aToleranceOutsideOneSecondToOneDayIsRefusedNamingTheSource() {
        for (String seconds : List.of("0", "-5", "86401")) {
            assertThatThrownBy(() -> WebhookConfig.from(yaml("""
                    aegis:
                      webhooks:
                        sources:
                          billing: { scheme: aegis-timestamped, tolerance-seconds: %s }
                    """.formatted(seconds))))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("aegis.webhooks.sources.billing")
                    .hasMessageContaining("tolerance-seconds");
        }
    }

    @Test
    void aStandardWebhooksSecretThatIsNotBase64IsRefusedWithoutShowingIt() {
        assertThatThrownBy(() -> WebhookConfig.from(yaml("""
                aegis:
                  webhooks:
                    sources:
                      svix: { scheme: standard-webhooks, secrets: "whsec_sup3r*secret" }
                """)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("aegis.webhooks.sources.svix")
                .hasMessageNotContaining("sup3r");
    }

    @Test
    void aReplayGuardOfLessThanOneEntryIsRefused() {
        assertThatThrownBy(() -> WebhookConfig.builder().replayGuardEntries(0).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("aegis.webhooks.replay-guard-entries");
    }

    @Test
    void aSourceNameWithASlashIsRefused() {
        assertThatThrownBy(() -> WebhookConfig.builder().source("a/b", WebhookConfig.Source.DEFAULT))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void secretsNeverShowInToString() {
        WebhookConfig config = WebhookConfig.builder()
                .source("github", WebhookConfig.Source.of(WebhookScheme.AEGIS).withSecrets("hunter2", "swordfish"))
                .build();

        assertThat(config.toString()).doesNotContain("hunter2").doesNotContain("swordfish").contains("github");
        assertThat(config.source("github").toString()).contains("secrets=2").doesNotContain("hunter2");
    }

    @Test
    void toBuilderKeepsEverySetting() {
        WebhookConfig config = WebhookConfig.builder().replayGuardEntries(9).forwardHeaders(List.of("x-a"))
                .source("s", WebhookConfig.Source.of(WebhookScheme.STANDARD_WEBHOOKS)).build();

        assertThat(config.toBuilder().build()).isEqualTo(config);
    }
}
