package ai.aegis.ingress.auth;

import ai.aegis.ingress.IngressConfig;
import ai.aegis.ingress.IngressServer;
import ai.aegis.schemas.json.Json;
import ai.aegis.schemas.topic.TopicCatalog;
import ai.aegis.testing.SharedTestBroker;
import ai.aegis.topology.kafka.KafkaSettings;
import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Authentication off ({@code --insecure-no-auth}): every call goes through, and readiness says so every time. */
class NoAuthTest {

    @Test
    void withAuthenticationOffNoTokenIsNeededAndReadinessWarns(@TempDir Path dataDir) throws Exception {
        KafkaSettings kafka = KafkaSettings.of(SharedTestBroker.get().bootstrapServers(),
                new TopicCatalog("noauth" + UUID.randomUUID().toString().replace("-", ""), 1), "test");
        Config aegis = Config.just(ConfigSources.create(Map.of("aegis.auth.mode", "none"))).get("aegis");
        HttpClient http = HttpClient.newHttpClient();
        try (IngressServer server = IngressServer.start(IngressConfig.from(aegis, dataDir).withPort(0), kafka)) {
            String base = "http://127.0.0.1:" + server.port();
            HttpResponse<String> agents = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/agents"))
                    .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(agents.statusCode()).isEqualTo(200);
            assertThat(server.tokenFile()).isNull();
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                HttpResponse<String> ready = http.send(HttpRequest.newBuilder(URI.create(base + "/health/ready"))
                        .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(ready.statusCode()).isEqualTo(200);
                assertThat(Json.tree(ready.body()).path("warnings").get(0).asText())
                        .startsWith("AUTHENTICATION IS OFF");
            });
        }
    }
}
