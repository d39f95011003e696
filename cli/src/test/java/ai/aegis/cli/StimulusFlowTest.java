package ai.aegis.cli;

import ai.aegis.schemas.json.Json;
import ai.aegis.worker.llm.scripted.ScriptStep;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Webhooks and stimuli end to end on the real broker: HMAC checked on the raw body, the stimulus written to Kafka,
 * deduplicated by the Kafka Streams stage (24 h window), routed by the direct route table to a workflow run that
 * the engine and a worker carry out, and the answer back to the node that took the call.
 */
class StimulusFlowTest {

    private static final String SECRET = "s3cret-for-github";
    /** A one-state workflow run by the agent {@code deployer}; other stimulus tests register it too. */
    static final String WORKFLOW = """
            apiVersion: 100monkeys.ai/v1
            kind: Workflow
            metadata: {name: deploy-flow, version: "1.0.0"}
            spec:
              initial_state: deploy
              states:
                deploy:
                  kind: Agent
                  agent: deployer
                  input: "Deploy {{workflow.input}}"
                  transitions: []
            """;

    @TempDir
    static Path dataDir;
    static TestSystem system;

    @BeforeAll
    static void start() throws Exception {
        system = new TestSystem(dataDir, Map.of("echo", List.of(ScriptStep.reply("deployed"))), null,
                EnumSet.allOf(AegisSystem.Service.class), Map.of(
                        "aegis.webhooks.sources.github.secrets", "old-secret," + SECRET,
                        "aegis.webhooks.sources.billing.secrets", SECRET,
                        "aegis.webhooks.sources.flood.secrets", SECRET,
                        "aegis.stimuli.rate-limits.flood", "3"));
        system.deploy("""
                {"apiVersion":"100monkeys.ai/v1","kind":"Agent","metadata":{"name":"deployer","version":"1"},
                 "spec":{"runtime":{"model":"echo"},"task":{"prompt_template":"{{input}}"},
                         "execution":{"max_iterations":1}}}""");
        HttpResponse<String> workflow = system.post("/v1/workflows", WORKFLOW);
        assertThat(workflow.statusCode()).as(workflow.body()).isEqualTo(201);
        HttpResponse<String> route = send("PUT", "/v1/stimuli/routes/github", "{\"workflow\":\"deploy-flow\"}",
                Map.of("Authorization", "Bearer " + system.token, "Content-Type", "application/json"));
        assertThat(route.statusCode()).as(route.body()).isEqualTo(200);
    }

    @AfterAll
    static void stop() {
        if (system != null) {
            system.close();
        }
    }

    @Test
    void aSignedWebhookStartsItsRoutesWorkflowAndARedeliveryIsADuplicate() throws Exception {
        String body = "{\"ref\":\"refs/tags/v2.1.0\"}";
        HttpResponse<String> first = webhook("github", body, sign(SECRET, body), "delivery-1");
        assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
        JsonNode accepted = Json.tree(first.body());
        String stimulusId = accepted.path("stimulus_id").asText();
        String runId = accepted.path("workflow_execution_id").asText();
        assertThat(stimulusId).isNotBlank();
        // the run exists and the engine and the worker carry it out, with the stimulus as its input
        await().atMost(Duration.ofSeconds(60)).until(() -> status(runId).equals("completed"));
        JsonNode run = Json.tree(system.get("/v1/workflows/executions/" + runId).body());
        assertThat(run.toString()).contains("refs/tags/v2.1.0");

        HttpResponse<String> again = webhook("github", body, sign(SECRET, body), "delivery-1");
        assertThat(again.statusCode()).as(again.body()).isEqualTo(409);
        assertThat(Json.tree(again.body()).path("error").asText()).isEqualTo("idempotent_duplicate");
        assertThat(Json.tree(again.body()).path("message").asText()).contains(stimulusId);
        // the same body under another key is another delivery
        assertThat(webhook("github", body, sign(SECRET, body), "delivery-1b").statusCode()).isEqualTo(200);
    }

    @Test
    void ofFiftyConcurrentIdenticalDeliveriesExactlyOneIsAccepted() throws Exception {
        String body = "{\"event\":\"push\",\"n\":50}";
        String signature = sign(SECRET, body);
        List<Callable<Integer>> calls = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            calls.add(() -> webhook("github", body, signature, "delivery-concurrent").statusCode());
        }
        List<Integer> statuses = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (Future<Integer> f : pool.invokeAll(calls)) {
                statuses.add(f.get());
            }
        }
        assertThat(statuses).filteredOn(s -> s == 200).hasSize(1);
        assertThat(statuses).filteredOn(s -> s == 409).hasSize(49);
    }

    @Test
    void twoIngressNodesShareOneDeduplicationAndEachGetsItsOwnAnswers() throws Exception {
        try (AegisSystem second = system.start(EnumSet.of(AegisSystem.Service.INGRESS), Map.of(
                "aegis.ingress.node-id", "second-node",
                "aegis.data-dir", dataDir.resolve("second").toString()))) {
            String secondBase = "http://127.0.0.1:" + second.ingress().port();
            String body = "{\"event\":\"both nodes\"}";
            String signature = sign(SECRET, body);
            List<Callable<Integer>> calls = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                String base = i % 2 == 0 ? system.base : secondBase;
                calls.add(() -> webhook(base, "github", body, signature, "delivery-two-nodes").statusCode());
            }
            List<Integer> statuses = new ArrayList<>();
            try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                for (Future<Integer> f : pool.invokeAll(calls)) {
                    statuses.add(f.get());
                }
            }
            // whichever node took a call answers it, and of all the deliveries on both nodes exactly one went on
            assertThat(statuses).filteredOn(s -> s == 200).hasSize(1);
            assertThat(statuses).filteredOn(s -> s == 409).hasSize(19);
        }
    }

    @Test
    void aBodyOverTheCapIsRefusedWith413BeforeItIsRead() throws Exception {
        String body = "x".repeat(1024 * 1024 + 1);
        HttpResponse<String> res = webhook("github", body, sign(SECRET, body), null);
        assertThat(res.statusCode()).as(res.body()).isEqualTo(413);
    }

    @Test
    void badSignaturesAreRefusedBeforeAnythingIsWritten() throws Exception {
        String body = "{\"x\":1}";
        assertError(webhook("github", body, null, null), 401, "missing_signature");
        assertError(webhook("github", body, "sha1=abc", null), 400, "malformed_signature");
        assertError(webhook("github", body, sign("wrong", body), null), 401, "invalid_signature");
        assertError(webhook("github", body + " ", sign(SECRET, body), null), 401, "invalid_signature");
        assertError(webhook("nosecret", body, sign(SECRET, body), null), 401, "secret_not_found");
        // the old secret of a rotation still works
        assertThat(webhook("github", body, sign("old-secret", body), null).statusCode()).isEqualTo(200);
    }

    @Test
    void aSourceWithoutRouteOrRouterIsRefused() throws Exception {
        String body = "invoice 42";
        assertError(webhook("billing", body, sign(SECRET, body), "inv-42"), 422, "no_router_configured");
        // a refused first delivery does not block a retry once the source is routed
        assertThat(send("PUT", "/v1/stimuli/routes/billing", "{\"workflow\":\"deploy-flow\"}",
                Map.of("Authorization", "Bearer " + system.token, "Content-Type", "application/json"))
                .statusCode()).isEqualTo(200);
        try {
            // The refusal's outcome and the retry reach the deduplication stage on two topics: until it has read the
            // outcome, the key still counts as in flight (409). A sender retries; it gets through.
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                int status = webhook("billing", body, sign(SECRET, body), "inv-42").statusCode();
                assertThat(status).isIn(200, 409);
                return status == 200;
            });
        } finally {
            send("DELETE", "/v1/stimuli/routes/billing", null, Map.of("Authorization", "Bearer " + system.token));
        }
    }

    @Test
    void aStimulusFromTheApiIsRoutedTooAndAnAsyncOneIsAnsweredOnceDurable() throws Exception {
        Map<String, String> auth = Map.of("Authorization", "Bearer " + system.token,
                "Content-Type", "application/json");
        HttpResponse<String> res = send("POST", "/v1/stimuli",
                "{\"source\":\"GitHub\",\"content\":\"Deploy release v2.1.0\",\"idempotency_key\":\"deploy-v2.1.0\"}",
                auth);
        assertThat(res.statusCode()).as(res.body()).isEqualTo(200);
        assertThat(Json.tree(res.body()).path("workflow_execution_id").asText()).isNotBlank();
        assertThat(send("POST", "/v1/stimuli", "{\"source\":\"github\",\"content\":\"again\","
                + "\"idempotency_key\":\"deploy-v2.1.0\"}", auth).statusCode()).isEqualTo(409);
        assertThat(send("POST", "/v1/stimuli", "{\"content\":\"no route for http_api\"}", auth).statusCode())
                .isEqualTo(422);
        assertThat(send("POST", "/v1/stimuli", "{\"source\":\"github\"}", auth).statusCode()).isEqualTo(400);
        assertThat(send("POST", "/v1/stimuli", "{\"content\":\"x\"}", Map.of("Content-Type", "application/json"))
                .statusCode()).isEqualTo(401);

        Map<String, String> async = new java.util.HashMap<>(auth);
        async.put("Prefer", "respond-async");
        HttpResponse<String> later = send("POST", "/v1/stimuli", "{\"source\":\"github\",\"content\":\"later\"}",
                async);
        assertThat(later.statusCode()).as(later.body()).isEqualTo(202);
        assertThat(Json.tree(later.body()).path("stimulus_id").asText()).isNotBlank();
    }

    @Test
    void aSourceOverItsRateIsAnswered429AndOthersAreNotHeldUp() throws Exception {
        String body = "tick";
        List<Integer> statuses = new ArrayList<>();
        HttpResponse<String> limited = null;
        for (int i = 0; i < 12; i++) {
            HttpResponse<String> res = webhook("flood", body, sign(SECRET, body), null);
            statuses.add(res.statusCode());
            if (res.statusCode() == 429) {
                limited = res;
            }
        }
        // three a second: the first ones pass the limit (and are refused for want of a route), the rest are limited
        assertThat(statuses).contains(429);
        assertThat(statuses.getFirst()).isEqualTo(422);
        assertThat(limited).isNotNull();
        assertThat(limited.headers().firstValue("Retry-After")).contains("1");
        assertThat(Json.tree(limited.body()).path("error").asText()).isEqualTo("rate_limited");
        // another source is not held up by it
        assertThat(webhook("github", body, sign(SECRET, body), null).statusCode()).isEqualTo(200);
        String metrics = system.get("/metrics").body();
        assertThat(metrics).contains("aegis_stimuli_rejected_total{reason=\"rate_limited\"}")
                .contains("aegis_stimuli_ingested_total{source=\"github\"}")
                .contains("aegis_stimulus_routing_milliseconds_count");
    }

    @Test
    void aStimulusIsVisibleByIdWithItsDecisionAndAFailedOneIsReplayedOnceItsRouteExists() throws Exception {
        Map<String, String> auth = Map.of("Authorization", "Bearer " + system.token,
                "Content-Type", "application/json");
        HttpResponse<String> refused = send("POST", "/v1/stimuli", "{\"source\":\"ReplayMe\",\"content\":"
                + "\"release v3\",\"idempotency_key\":\"replay-1\"}", auth);
        assertError(refused, 422, "no_router_configured");
        String refusedId = Json.tree(refused.body()).path("stimulus_id").asText();
        JsonNode shown = awaitStimulus(refusedId, "refused");
        assertThat(shown.path("source").asText()).isEqualTo("replayme");
        assertThat(shown.path("idempotency_key").asText()).isEqualTo("replay-1");
        assertThat(shown.path("content_bytes").asLong()).isEqualTo("release v3".length());
        assertThat(shown.path("error").path("code").asText()).isEqualTo("no_router_configured");
        // not routable yet: a replay is refused the same way, and is itself a new stimulus naming the first
        HttpResponse<String> early = send("POST", "/v1/stimuli/" + refusedId + "/replay", "", auth);
        assertError(early, 422, "no_router_configured");
        assertThat(Json.tree(early.body()).path("replay_of").asText()).isEqualTo(refusedId);
        String firstReplay = Json.tree(early.body()).path("stimulus_id").asText();
        assertThat(firstReplay).isNotEqualTo(refusedId);
        await().atMost(Duration.ofSeconds(30)).until(() -> Json.tree(system.get("/v1/stimuli/" + refusedId)
                .body()).path("replayed_by").asText().equals(firstReplay));
        assertThat(awaitStimulus(firstReplay, "refused").path("replay_of").asText()).isEqualTo(refusedId);
        assertError(send("POST", "/v1/stimuli/" + refusedId + "/replay", "", auth), 409, "already_replayed");

        assertThat(send("PUT", "/v1/stimuli/routes/replayme", "{\"workflow\":\"deploy-flow\"}", auth)
                .statusCode()).isEqualTo(200);
        HttpResponse<String> replayed = send("POST", "/v1/stimuli/" + firstReplay + "/replay", "", auth);
        assertThat(replayed.statusCode()).as(replayed.body()).isEqualTo(200);
        JsonNode answer = Json.tree(replayed.body());
        assertThat(answer.path("replay_of").asText()).isEqualTo(firstReplay);
        String runId = answer.path("workflow_execution_id").asText();
        await().atMost(Duration.ofSeconds(60)).until(() -> status(runId).equals("completed"));
        JsonNode accepted = awaitStimulus(answer.path("stimulus_id").asText(), "accepted");
        assertThat(accepted.path("workflow_execution_id").asText()).isEqualTo(runId);
        assertThat(accepted.path("decision").path("mode").asText()).isEqualTo("direct");
        assertThat(accepted.path("decision").path("workflow").asText()).isEqualTo("deploy-flow");
        assertThat(accepted.path("workflow_execution").path("status").asText()).isEqualTo("completed");
        JsonNode run = Json.tree(system.get("/v1/workflows/executions/" + runId).body());
        assertThat(run.toString()).contains("release v3");
        // the key is used up now: another delivery is a duplicate, shown as such; an accepted one is not replayed
        HttpResponse<String> duplicate = send("POST", "/v1/stimuli", "{\"source\":\"replayme\",\"content\":"
                + "\"release v3\",\"idempotency_key\":\"replay-1\"}", auth);
        assertError(duplicate, 409, "idempotent_duplicate");
        await().atMost(Duration.ofSeconds(30)).until(() -> Json.tree(system.get(
                "/v1/stimuli?source=replayme&status=duplicate").body()).path("count").asInt() == 1);
        JsonNode dup = Json.tree(system.get("/v1/stimuli?source=replayme&status=duplicate").body())
                .path("stimuli").get(0);
        assertThat(dup.path("original_stimulus_id").asText()).isEqualTo(answer.path("stimulus_id").asText());
        assertError(send("POST", "/v1/stimuli/" + answer.path("stimulus_id").asText() + "/replay", "", auth), 409,
                "stimulus_not_failed");
        assertError(send("POST", "/v1/stimuli/" + java.util.UUID.randomUUID() + "/replay", "", auth), 404,
                "stimulus_not_found");
        assertError(system.get("/v1/stimuli/" + java.util.UUID.randomUUID()), 404, "stimulus_not_found");
        // the list: latest first, filtered
        JsonNode all = Json.tree(system.get("/v1/stimuli?source=replayme").body());
        assertThat(all.path("count").asInt()).isEqualTo(4);
        assertThat(all.path("stimuli").get(0).path("stimulus_id").asText()).isEqualTo(dup.path("stimulus_id")
                .asText());
        assertThat(Json.tree(system.get("/v1/stimuli?source=replayme&status=failed").body()).path("count").asInt())
                .isEqualTo(2);
        assertThat(Json.tree(system.get("/v1/stimuli?source=replayme&limit=1").body()).path("count").asInt())
                .isEqualTo(1);
        assertError(system.get("/v1/stimuli?status=lost"), 400, "invalid_status");
        assertError(system.get("/v1/stimuli?limit=0"), 400, "invalid_limit");
        assertError(system.get("/v1/stimuli?since=yesterday"), 400, "invalid_time");
        assertError(system.get("/v1/stimuli?source=a%20b"), 400, "invalid_source");
    }

    @Test
    void aBulkReplayResendsTheFailedStimuliOfASourceOnceEach() throws Exception {
        Map<String, String> auth = Map.of("Authorization", "Bearer " + system.token,
                "Content-Type", "application/json");
        for (int i = 0; i < 3; i++) {
            assertError(send("POST", "/v1/stimuli", "{\"source\":\"bulk\",\"content\":\"event " + i
                    + "\",\"idempotency_key\":\"bulk-" + i + "\"}", auth), 422, "no_router_configured");
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> Json.tree(system.get(
                "/v1/stimuli?source=bulk&status=failed").body()).path("count").asInt() == 3);
        assertError(send("POST", "/v1/stimuli/replay", "{\"source\":\"bulk\"}", auth), 400, "invalid_replay");
        assertThat(send("PUT", "/v1/stimuli/routes/bulk", "{\"workflow\":\"deploy-flow\"}", auth).statusCode())
                .isEqualTo(200);

        HttpResponse<String> bulk = send("POST", "/v1/stimuli/replay", "{\"status\":\"failed\",\"source\":\"bulk\","
                + "\"since\":\"2020-01-01T00:00:00Z\"}", auth);
        assertThat(bulk.statusCode()).as(bulk.body()).isEqualTo(202);
        JsonNode sent = Json.tree(bulk.body());
        assertThat(sent.path("count").asInt()).isEqualTo(3);
        assertThat(sent.path("truncated").asBoolean()).isFalse();
        await().atMost(Duration.ofSeconds(60)).until(() -> Json.tree(system.get(
                "/v1/stimuli?source=bulk&status=accepted").body()).path("count").asInt() == 3);
        // each once: the originals are replayed now, so a second bulk replay finds nothing
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            HttpResponse<String> again = send("POST", "/v1/stimuli/replay", "{\"status\":\"failed\","
                    + "\"source\":\"bulk\"}", auth);
            return again.statusCode() == 202 && Json.tree(again.body()).path("count").asInt() == 0;
        });
        assertThat(Json.tree(system.get("/v1/stimuli?source=bulk&status=accepted").body()).path("count").asInt())
                .isEqualTo(3);
    }

    /** The stimulus as this node's view shows it, once it has the status. */
    private static JsonNode awaitStimulus(String id, String status) {
        return await().atMost(Duration.ofSeconds(30)).until(() -> {
            HttpResponse<String> res = system.get("/v1/stimuli/" + id);
            return res.statusCode() == 200 ? Json.tree(res.body()) : null;
        }, view -> view != null && view.path("status").asText().equals(status));
    }

    // ---- helpers ----

    private static void assertError(HttpResponse<String> res, int status, String code) {
        assertThat(res.statusCode()).as(res.body()).isEqualTo(status);
        assertThat(Json.tree(res.body()).path("error").asText()).isEqualTo(code);
    }

    private static String status(String runId) throws Exception {
        HttpResponse<String> res = system.get("/v1/workflows/executions/" + runId);
        return res.statusCode() == 200 ? Json.tree(res.body()).path("status").asText() : "http " + res.statusCode();
    }

    private static String sign(String secret, String body) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return "sha256=" + HexFormat.of().formatHex(mac.doFinal(body.getBytes(StandardCharsets.UTF_8)));
    }

    private static HttpResponse<String> webhook(String source, String body, String signature, String key)
            throws Exception {
        return webhook(system.base, source, body, signature, key);
    }

    private static HttpResponse<String> webhook(String base, String source, String body, String signature,
                                                String key) throws Exception {
        Map<String, String> headers = new java.util.HashMap<>(Map.of("Content-Type", "application/json"));
        if (signature != null) {
            headers.put("X-Aegis-Signature", signature);
        }
        if (key != null) {
            headers.put("X-Idempotency-Key", key);
        }
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + "/v1/webhooks/" + source))
                .timeout(Duration.ofSeconds(60)).POST(HttpRequest.BodyPublishers.ofString(body));
        headers.forEach(b::header);
        return system.http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> send(String method, String path, String body, Map<String, String> headers)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(system.base + path)).timeout(Duration.ofSeconds(60))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        headers.forEach(b::header);
        return system.http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
