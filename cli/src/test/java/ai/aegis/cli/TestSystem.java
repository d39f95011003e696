package ai.aegis.cli;

import ai.aegis.approval.ApprovalConfig;
import ai.aegis.approval.ApprovalRoutes;
import ai.aegis.approval.ApprovalService;
import ai.aegis.testing.SharedTestBroker;
import ai.aegis.ingress.IngressConfig;
import ai.aegis.ingress.IngressServer;
import ai.aegis.schemas.json.Json;
import ai.aegis.schemas.topic.TopicCatalog;
import ai.aegis.topology.kafka.KafkaSettings;
import ai.aegis.topology.workflow.WorkflowEngineService;
import ai.aegis.worker.WorkerConfig;
import ai.aegis.worker.WorkerService;
import ai.aegis.worker.llm.ModelRegistry;
import ai.aegis.worker.llm.ResolvedModel;
import ai.aegis.worker.llm.scripted.ScriptStep;
import ai.aegis.worker.llm.scripted.ScriptedProvider;
import ai.aegis.worker.runtime.ContainerRuntime;
import com.fasterxml.jackson.databind.JsonNode;
import io.helidon.config.Config;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The whole system as {@code aegis up} composes it, on the shared real broker with topics of its own: an ingress
 * on a free port, a worker with scripted models, real HTTP between all of them.
 */
final class TestSystem implements AutoCloseable {

    final KafkaSettings kafka;
    final ModelRegistry models;
    final Path dataDir;
    final WorkerService worker;
    final IngressServer ingress;
    /** Set when the system runs workflows (the engine and the approval service). */
    WorkflowEngineService engine;
    ApprovalService approvals;
    final String token;
    final String base;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    TestSystem(Path dataDir, Map<String, List<ScriptStep>> scripts) throws IOException {
        this(dataDir, scripts, null);
    }

    /** @param runtime the workers' runtime, or null for the process runtime */
    TestSystem(Path dataDir, Map<String, List<ScriptStep>> scripts, ContainerRuntime runtime) throws IOException {
        this(dataDir, scripts, runtime, false);
    }

    /** @param workflows also run the workflow engine and the approval service, as {@code aegis up} does */
    TestSystem(Path dataDir, Map<String, List<ScriptStep>> scripts, ContainerRuntime runtime, boolean workflows)
            throws IOException {
        this.dataDir = dataDir;
        kafka = KafkaSettings.of(SharedTestBroker.get().bootstrapServers(),
                new TopicCatalog("e2e" + UUID.randomUUID().toString().substring(0, 8), 3), "e2e");
        ScriptedProvider provider = new ScriptedProvider("scripted-test", scripts);
        List<ResolvedModel> resolved = new ArrayList<>();
        scripts.keySet().forEach(name -> resolved.add(new ResolvedModel(name, provider, name)));
        models = new ModelRegistry(resolved);
        worker = startWorker(runtime, Duration.ofSeconds(45));
        Map<String, io.helidon.webserver.http.HttpService> routes = Map.of();
        if (workflows) {
            engine = new WorkflowEngineService(kafka, dataDir.resolve("streams")).start(Duration.ofSeconds(90));
            approvals = startApprovals(ApprovalConfig.defaults().withNodeId("test-node"));
            routes = Map.of(ApprovalRoutes.PATH, new ApprovalRoutes(approvals));
        }
        ingress = IngressServer.start(IngressConfig.from(Config.empty(), dataDir).withPort(0), kafka, routes,
                workflows ? Map.of("workflow_engine", engine::healthy, "approval_service", approvals::healthy)
                        : Map.of());
        token = Files.readString(ingress.tokenFile()).trim();
        base = "http://127.0.0.1:" + ingress.port();
    }

    ApprovalService startApprovals(ApprovalConfig config) {
        return ApprovalService.start(config, kafka, dataDir.resolve("streams-approvals"));
    }

    /** Another worker of the same group (failure tests give a short failover timeout). */
    WorkerService startWorker(ContainerRuntime runtime, Duration failover) {
        WorkerConfig defaults = WorkerConfig.from(Config.empty());
        WorkerConfig config = new WorkerConfig("workers-" + kafka.topics().prefix(), 4, "127.0.0.1", 0, "process",
                true, defaults.pythonCommand(), defaults.maxOutputBytes(), dataDir, failover, defaults.docker(),
                defaults.bubblewrap());
        return runtime == null ? WorkerService.start(config, kafka, models)
                : WorkerService.start(config, kafka, models, runtime);
    }

    HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(base + path)).header("Authorization", "Bearer " + token)
                .timeout(Duration.ofSeconds(30)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> post(String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(base + path)).header("Authorization", "Bearer " + token)
                .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** Deploys a manifest and returns the agent id. */
    String deploy(String manifest) throws Exception {
        HttpResponse<String> res = post("/v1/agents", manifest);
        if (res.statusCode() / 100 != 2) {
            throw new AssertionError("deploy failed: " + res.statusCode() + " " + res.body());
        }
        return Json.tree(res.body()).get("agent_id").asText();
    }

    String startExecution(String agentId, String input) throws Exception {
        HttpResponse<String> res = post("/v1/executions", Json.write(Map.of("agent_id", agentId, "input", input)));
        if (res.statusCode() != 200) {
            throw new AssertionError("start failed: " + res.statusCode() + " " + res.body());
        }
        return Json.tree(res.body()).get("execution_id").asText();
    }

    /** An agent manifest (JSON) using the model alias {@code model}, allowed to use cmd.run. */
    static String agent(String name, String model, int maxIterations) {
        return """
                {"apiVersion":"100monkeys.ai/v1","kind":"Agent",
                 "metadata":{"name":"%s","version":"1.0.0","description":"test agent"},
                 "spec":{"runtime":{"model":"%s"},"task":{"instruction":"Do the test task."},
                         "execution":{"max_iterations":%d,"iteration_timeout":"60s"},
                         "tools":["cmd.run"]}}""".formatted(name, model, maxIterations);
    }

    /** An agent manifest (JSON) with extra {@code execution} and {@code security} blocks, given as JSON text. */
    static String agent(String name, String model, String execution, String security) {
        return """
                {"apiVersion":"100monkeys.ai/v1","kind":"Agent",
                 "metadata":{"name":"%s","version":"1.0.0","description":"test agent"},
                 "spec":{"runtime":{"model":"%s"},"task":{"instruction":"Do the test task."},
                         "execution":%s, "security":%s, "tools":["cmd.run"]}}""".formatted(name, model, execution,
                security);
    }

    /** Waits for the execution to reach a terminal status and returns its view. */
    JsonNode awaitEnd(String executionId, Duration within) {
        JsonNode[] last = new JsonNode[1];
        org.awaitility.Awaitility.await().atMost(within).pollInterval(Duration.ofMillis(200)).until(() -> {
            last[0] = Json.tree(get("/v1/executions/" + executionId).body());
            return List.of("completed", "failed", "cancelled", "timed_out").contains(last[0].path("status").asText());
        });
        return last[0];
    }

    /** The (single) execution of the agent with this name, once it ended. */
    JsonNode awaitJudgeExecution(String agentName) throws Exception {
        String id = Json.tree(get("/v1/agents/lookup/" + agentName).body()).get("id").asText();
        String[] executionId = new String[1];
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> {
            JsonNode list = Json.tree(get("/v1/executions?agent_id=" + id).body());
            if (list.isEmpty()) {
                return false;
            }
            executionId[0] = list.get(0).get("id").asText();
            return true;
        });
        return awaitEnd(executionId[0], Duration.ofSeconds(30));
    }

    static JsonNode args(String json) {
        return Json.tree(json);
    }

    @Override
    public void close() {
        ingress.close();
        worker.close();
        if (approvals != null) {
            approvals.close();
        }
        if (engine != null) {
            engine.close();
        }
    }
}
