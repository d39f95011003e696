package ai.aegis.ingress;

import ai.aegis.topology.config.AegisConfigLoader;
import ai.aegis.topology.readmodel.EventReadModel;
import io.helidon.config.Config;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code aegis.ingress.*} read through the builder: every default, every key, and refused values. */
class IngressConfigTest {

    private static final Path DATA = Path.of("/tmp/aegis-config-test");

    @Test
    void anEmptyConfigurationIsEveryDefault() {
        IngressConfig config = IngressConfig.from(Config.empty(), DATA);

        assertThat(config).isEqualTo(IngressConfig.builder().dataDir(DATA).nodeId(config.nodeId()).build());
        assertThat(config.nodeId()).isNotEqualTo(IngressConfig.from(Config.empty(), DATA).nodeId()); // per process
        assertThat(config.host()).isEqualTo("0.0.0.0");
        assertThat(config.port()).isEqualTo(8080);
        assertThat(config.authMode()).isEqualTo("local-token");
        assertThat(config.authenticated()).isTrue();
        assertThat(config.readYourWrites()).isEqualTo(Duration.ofSeconds(5));
        assertThat(config.topicInstallTimeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(config.startCatchUpTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(config.readSyncTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(config.kafkaHealthTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(config.kafkaHealthCache()).isEqualTo(Duration.ofSeconds(2));
        assertThat(config.shutdownGrace()).isEqualTo(Duration.ofSeconds(2));
        assertThat(config.viewLimits()).isEqualTo(new EventReadModel.Limits(10_000, 64L << 20, 1L << 20));
        assertThat(config.catchUpReaders()).isEqualTo(2);
        assertThat(config.catchUpQueue()).isEqualTo(64);
        assertThat(config.catchUpTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(config.deadLettersInMemory()).isEqualTo(1000);
        assertThat(config.managementListener()).isFalse();
        assertThat(config.managementHost()).isEqualTo("127.0.0.1");
        assertThat(config.maxConcurrentRequests()).isEqualTo(512);
        assertThat(config.concurrencyLimited()).isTrue();
        assertThat(config.concurrentQueue()).isZero();
        assertThat(config.concurrentQueueTimeout()).isEqualTo(Duration.ofSeconds(1));
        assertThat(config.finishedRetention()).isEqualTo(Duration.ofHours(24));
        assertThat(config.maxPendingExecutions()).isEqualTo(10_000);
        assertThat(config.maxPendingPerAgent()).isEqualTo(2_000);
        assertThat(config.maxConnections()).isEqualTo(16_384);
    }

    @Test
    void everyKeyIsReadFromItsEnvironmentVariable() {
        Config aegis = AegisConfigLoader.load(Optional.empty(), Map.ofEntries(
                Map.entry("AEGIS_INGRESS_HOST", "127.0.0.1"),
                Map.entry("AEGIS_INGRESS_PORT", "9090"),
                Map.entry("AEGIS_INGRESS_MAX__BODY__BYTES", "2048"),
                Map.entry("AEGIS_INGRESS_SSE__HEARTBEAT__MS", "1000"),
                Map.entry("AEGIS_INGRESS_MAX__EXECUTIONS__IN__MEMORY", "50"),
                Map.entry("AEGIS_INGRESS_EVENT__HISTORY__BYTES", "4096"),
                Map.entry("AEGIS_INGRESS_EVENT__HISTORY__BYTES__PER__EXECUTION", "1024"),
                Map.entry("AEGIS_INGRESS_CATCH__UP__READERS", "3"),
                Map.entry("AEGIS_INGRESS_CATCH__UP__QUEUE", "7"),
                Map.entry("AEGIS_INGRESS_CATCH__UP__TIMEOUT__MS", "1800"),
                Map.entry("AEGIS_INGRESS_READ__YOUR__WRITES__TIMEOUT__MS", "1100"),
                Map.entry("AEGIS_INGRESS_TOPIC__INSTALL__TIMEOUT__MS", "1200"),
                Map.entry("AEGIS_INGRESS_START__CATCH__UP__TIMEOUT__MS", "1300"),
                Map.entry("AEGIS_INGRESS_READ__SYNC__TIMEOUT__MS", "1400"),
                Map.entry("AEGIS_INGRESS_KAFKA__HEALTH__TIMEOUT__MS", "1500"),
                Map.entry("AEGIS_INGRESS_KAFKA__HEALTH__CACHE__MS", "1600"),
                Map.entry("AEGIS_INGRESS_SHUTDOWN__GRACE__MS", "1700"),
                Map.entry("AEGIS_INGRESS_DEAD__LETTERS__IN__MEMORY", "17"),
                Map.entry("AEGIS_INGRESS_MANAGEMENT__HOST", "0.0.0.0"),
                Map.entry("AEGIS_INGRESS_MANAGEMENT__PORT", "9091"),
                Map.entry("AEGIS_INGRESS_MAX__CONCURRENT__REQUESTS", "0"),
                Map.entry("AEGIS_INGRESS_CONCURRENT__QUEUE", "8"),
                Map.entry("AEGIS_INGRESS_CONCURRENT__QUEUE__TIMEOUT__MS", "1900"),
                Map.entry("AEGIS_INGRESS_FINISHED__RETENTION__MS", "2000"),
                Map.entry("AEGIS_INGRESS_MAX__PENDING__EXECUTIONS", "21"),
                Map.entry("AEGIS_INGRESS_MAX__PENDING__PER__AGENT", "22"),
                Map.entry("AEGIS_INGRESS_MAX__CONNECTIONS", "23"),
                Map.entry("AEGIS_INGRESS_STREAM__PORT", "9092"),
                Map.entry("AEGIS_INGRESS_NODE__ID", "node-7"),
                Map.entry("AEGIS_INGRESS_STIMULUS__REPLY__TIMEOUT__MS", "2100"),
                Map.entry("AEGIS_AUTH_MODE", "none"))).get("aegis");

        assertThat(IngressConfig.from(aegis, DATA)).isEqualTo(IngressConfig.builder()
                .host("127.0.0.1")
                .port(9090)
                .maxBodyBytes(2048)
                .sseHeartbeat(Duration.ofSeconds(1))
                .maxExecutionsInMemory(50)
                .eventHistoryBytes(4096)
                .eventHistoryBytesPerExecution(1024)
                .catchUpReaders(3)
                .catchUpQueue(7)
                .catchUpTimeout(Duration.ofMillis(1800))
                .readYourWrites(Duration.ofMillis(1100))
                .topicInstallTimeout(Duration.ofMillis(1200))
                .startCatchUpTimeout(Duration.ofMillis(1300))
                .readSyncTimeout(Duration.ofMillis(1400))
                .kafkaHealthTimeout(Duration.ofMillis(1500))
                .kafkaHealthCache(Duration.ofMillis(1600))
                .shutdownGrace(Duration.ofMillis(1700))
                .deadLettersInMemory(17)
                .managementHost("0.0.0.0")
                .managementPort(9091)
                .maxConcurrentRequests(0)
                .concurrentQueue(8)
                .concurrentQueueTimeout(Duration.ofMillis(1900))
                .finishedRetention(Duration.ofMillis(2000))
                .maxPendingExecutions(21)
                .maxPendingPerAgent(22)
                .maxConnections(23)
                .streamPort(9092)
                .nodeId("node-7")
                .stimulusReplyTimeout(Duration.ofMillis(2100))
                .authMode("none")
                .dataDir(DATA)
                .build());
    }

    @Test
    void oidcIssuersAreReadAsAListAndBadOnesStopTheStart() {
        Config aegis = Config.just(io.helidon.config.ConfigSources.create(Map.of(
                "aegis.auth.oidc.issuers.0.issuer", "https://sso.example.com/realms/aegis",
                "aegis.auth.oidc.issuers.0.audience", "aegis-api, other-api",
                "aegis.auth.oidc.issuers.1.issuer", "https://login.example.org",
                "aegis.auth.oidc.issuers.1.audience", "aegis",
                "aegis.auth.oidc.issuers.1.jwks-uri", "https://login.example.org/keys",
                "aegis.auth.oidc.issuers.1.algorithms", "ES256",
                "aegis.auth.oidc.roles-claim", "groups",
                "aegis.auth.oidc.clock-skew-seconds", "45"))).get("aegis");
        ai.aegis.ingress.auth.OidcSettings oidc = IngressConfig.from(aegis, DATA).oidc();
        assertThat(oidc.configured()).isTrue();
        assertThat(oidc.issuers()).hasSize(2);
        assertThat(oidc.issuers().get(0).audiences()).containsExactlyInAnyOrder("aegis-api", "other-api");
        assertThat(oidc.issuers().get(0).keys().toString())
                .isEqualTo("https://sso.example.com/realms/aegis/protocol/openid-connect/certs");
        assertThat(oidc.issuers().get(1).keys().toString()).isEqualTo("https://login.example.org/keys");
        assertThat(oidc.issuers().get(1).algorithms()).containsExactly("ES256");
        assertThat(oidc.issuers().get(0).algorithms()).doesNotContain("HS256", "none");
        assertThat(oidc.rolesClaim()).isEqualTo("groups");
        assertThat(oidc.clockSkew()).isEqualTo(Duration.ofSeconds(45));
        assertThat(IngressConfig.from(Config.empty(), DATA).oidc().configured()).isFalse();

        for (Map<String, String> bad : List.of(
                Map.of("aegis.auth.oidc.issuers.0.issuer", "https://x"),
                Map.of("aegis.auth.oidc.issuers.0.issuer", "https://x", "aegis.auth.oidc.issuers.0.audience", "a",
                        "aegis.auth.oidc.issuers.0.algorithms", "HS256"),
                Map.of("aegis.auth.oidc.clock-skew-seconds", "120"))) {
            Config c = Config.just(io.helidon.config.ConfigSources.create(bad)).get("aegis");
            assertThatThrownBy(() -> IngressConfig.from(c, DATA)).as(bad.toString())
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void stimulusRoutesAreReadWithTheirSourcesLowerCasedAndABadOneStopsTheStart() {
        Config aegis = Config.just(io.helidon.config.ConfigSources.create(Map.of(
                "aegis.stimuli.routes.GitHub", "deploy-flow", "aegis.stimuli.routes.billing", "invoice"))).get("aegis");
        assertThat(IngressConfig.from(aegis, DATA).stimulusRoutes())
                .containsExactly(Map.entry("billing", "invoice"), Map.entry("github", "deploy-flow"));
        assertThatThrownBy(() -> IngressConfig.builder().dataDir(DATA).stimulusRoutes(Map.of("a b", "x")).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("aegis.stimuli.routes.a b");
        assertThatThrownBy(() -> IngressConfig.builder().dataDir(DATA).stimulusRoutes(Map.of("a", " ")).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("names no workflow");
        Config limits = Config.just(io.helidon.config.ConfigSources.create(Map.of(
                "aegis.stimuli.rate-limit-per-second", "50", "aegis.stimuli.rate-limits.GitHub", "5"))).get("aegis");
        assertThat(IngressConfig.from(limits, DATA).stimulusRateLimit()).isEqualTo(50);
        assertThat(IngressConfig.from(limits, DATA).stimulusRateLimits()).containsExactly(Map.entry("github", 5));
        assertThat(IngressConfig.from(Config.empty(), DATA).stimulusRateLimit()).isEqualTo(1000);
        assertThatThrownBy(() -> IngressConfig.builder().dataDir(DATA).stimulusRateLimit(-1).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("rate-limit-per-second");
        assertThatThrownBy(() -> IngressConfig.builder().dataDir(DATA).streamPort(-2).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("stream-port");
    }

    @Test
    void withPortChangesOnlyThePort() {
        IngressConfig config = IngressConfig.builder().dataDir(DATA).readSyncTimeout(Duration.ofMillis(10)).build();

        assertThat(config.withPort(0)).isEqualTo(config.toBuilder().port(0).build());
        assertThat(config.withPort(0).readSyncTimeout()).isEqualTo(Duration.ofMillis(10));
    }

    @Test
    void aTimeoutThatIsNotPositiveStopsTheStart() {
        Config aegis = AegisConfigLoader.load(Optional.empty(), Map.of("AEGIS_INGRESS_READ__SYNC__TIMEOUT__MS", "0"))
                .get("aegis");

        assertThatThrownBy(() -> IngressConfig.from(aegis, DATA)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("aegis.ingress.read-sync-timeout-ms must be positive");
        assertThatThrownBy(() -> IngressConfig.builder().build()).isInstanceOf(NullPointerException.class)
                .hasMessage("dataDir");
        assertThatThrownBy(() -> IngressConfig.builder().dataDir(DATA).deadLettersInMemory(0).build())
                .hasMessage("aegis.ingress.dead-letters-in-memory must be positive");
        assertThatThrownBy(() -> IngressConfig.builder().dataDir(DATA).managementPort(-2).build())
                .hasMessage("aegis.ingress.management-port must be -1 (none) or a port");
        assertThatThrownBy(() -> IngressConfig.builder().dataDir(DATA).maxConcurrentRequests(-1).build())
                .hasMessage("aegis.ingress.max-concurrent-requests and concurrent-queue must not be negative "
                        + "(0: no limit, no queue)");
        assertThat(IngressConfig.builder().dataDir(DATA).maxConcurrentRequests(0).build().concurrencyLimited())
                .isFalse();
    }
}
