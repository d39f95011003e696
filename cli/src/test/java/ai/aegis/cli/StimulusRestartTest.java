package ai.aegis.cli;

import ai.aegis.schemas.json.Json;
import ai.aegis.worker.llm.scripted.ScriptStep;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The deduplication survives restarts: a key seen before the whole system (ingress, the stimulus stages, the engine)
 * stopped is a duplicate after it starts again on the same data directory, and after it starts on an empty one
 * (another machine: the deduplication's state comes back from its changelog topic).
 */
class StimulusRestartTest {

    @Test
    void aKeySeenBeforeARestartOfTheWholeSystemIsStillADuplicateAfterIt(@TempDir Path dataDir) throws Exception {
        TestSystem system = new TestSystem(dataDir, Map.of("echo", List.of(ScriptStep.reply("ok"))), null,
                EnumSet.of(AegisSystem.Service.INGRESS, AegisSystem.Service.WORKFLOW_ENGINE), Map.of());
        String original;
        try {
            system.deploy(TestSystem.agent("deployer", "echo", 1));
            HttpResponse<String> workflow = system.post("/v1/workflows", StimulusFlowTest.WORKFLOW);
            assertThat(workflow.statusCode()).as(workflow.body()).isEqualTo(201);
            assertThat(send(system, system.base, "PUT", "/v1/stimuli/routes/restart",
                    "{\"workflow\":\"deploy-flow\"}").statusCode()).isEqualTo(200);
            HttpResponse<String> first = send(system, system.base, "POST", "/v1/stimuli",
                    "{\"source\":\"restart\",\"content\":\"before\",\"idempotency_key\":\"k-1\"}");
            assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
            original = Json.tree(first.body()).path("stimulus_id").asText();
        } finally {
            system.close();
        }

        // the same data directory: the stages reopen their RocksDB state
        try (AegisSystem again = system.start(EnumSet.of(AegisSystem.Service.INGRESS,
                AegisSystem.Service.WORKFLOW_ENGINE))) {
            String base = "http://127.0.0.1:" + again.ingress().port();
            assertDuplicateOf(send(system, base, "POST", "/v1/stimuli",
                    "{\"source\":\"restart\",\"content\":\"after\",\"idempotency_key\":\"k-1\"}"), original);
            assertThat(send(system, base, "POST", "/v1/stimuli",
                    "{\"source\":\"restart\",\"content\":\"after\",\"idempotency_key\":\"k-2\"}").statusCode())
                    .isEqualTo(200);
        }

        // an empty data directory (another machine; the same token, copied): the state comes from the changelog
        Path elsewhere = Files.createDirectories(dataDir.resolveSibling(dataDir.getFileName() + "-elsewhere"));
        Files.copy(system.ingress.tokenFile(), elsewhere.resolve(system.ingress.tokenFile().getFileName()));
        try (AegisSystem moved = system.start(EnumSet.of(AegisSystem.Service.INGRESS,
                AegisSystem.Service.WORKFLOW_ENGINE), Map.of("aegis.data-dir", elsewhere.toString()))) {
            String base = "http://127.0.0.1:" + moved.ingress().port();
            assertDuplicateOf(send(system, base, "POST", "/v1/stimuli",
                    "{\"source\":\"restart\",\"content\":\"moved\",\"idempotency_key\":\"k-1\"}"), original);
        }
    }

    private static void assertDuplicateOf(HttpResponse<String> res, String original) {
        assertThat(res.statusCode()).as(res.body()).isEqualTo(409);
        assertThat(Json.tree(res.body()).path("error").asText()).isEqualTo("idempotent_duplicate");
        assertThat(Json.tree(res.body()).path("message").asText()).contains(original);
    }

    private static HttpResponse<String> send(TestSystem system, String base, String method, String path, String body)
            throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60))
                .header("Authorization", "Bearer " + system.token).header("Content-Type", "application/json")
                .method(method, HttpRequest.BodyPublishers.ofString(body)).build();
        return system.http.send(request, HttpResponse.BodyHandlers.ofString());
    }
}
