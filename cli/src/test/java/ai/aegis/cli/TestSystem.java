package ai.aegis.cli;

import ai.aegis.approval.ApprovalService;
import ai.aegis.cli.AegisSystem.Service;
import ai.aegis.testing.SharedTestBroker;
import ai.aegis.testing.TopicRecords;
import ai.aegis.ingress.IngressServer;
import ai.aegis.keycloak.AegisRealm;
import ai.aegis.keycloak.KeycloakServer;
import ai.aegis.schemas.execution.ExecutionEvent;
import ai.aegis.schemas.json.Json;
import ai.aegis.topology.kafka.KafkaSettings;
import ai.aegis.topology.workflow.WorkflowEngineService;
import ai.aegis.worker.WorkerService;
import ai.aegis.worker.llm.ModelRegistry;
import ai.aegis.worker.llm.ResolvedModel;
import ai.aegis.worker.llm.scripted.ScriptStep;
import ai.aegis.worker.llm.scripted.ScriptedProvider;
import ai.aegis.worker.runtime.ContainerRuntime;
import com.fasterxml.jackson.databind.JsonNode;
import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * The whole system as {@code aegis up} composes it ({@link AegisSystem}), on the shared real broker with topics of
 * its own: an ingress on a free port, a worker with scripted models, real HTTP between all of them.
 */
public final class TestSystem implements AutoCloseable {

    final AegisSystem system;
    final KafkaSettings kafka;
    final ModelRegistry models;
    final Path dataDir;
    /** Null when the system runs no worker. */
    final WorkerService worker;
    final IngressServer ingress;
    /** Set when the system runs workflows (the engine and the approval service). */
    final WorkflowEngineService engine;
    final ApprovalService approvals;
    public final String token;
    public final String base;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final Map<String, String> config;
    private final ContainerRuntime runtime;

    TestSystem(Path dataDir, Map<String, List<ScriptStep>> scripts) throws IOException {
        this(dataDir, scripts, null);
    }

    /** @param runtime the workers' runtime, or null for the process runtime */
    TestSystem(Path dataDir, Map<String, List<ScriptStep>> scripts, ContainerRuntime runtime) throws IOException {
        this(dataDir, scripts, runtime, false);
    }

    /** @param workflows also run the workflow engine and the approval service, as {@code aegis up} does */
    public TestSystem(Path dataDir, Map<String, List<ScriptStep>> scripts, ContainerRuntime runtime, boolean workflows)
            throws IOException {
        this(dataDir, scripts, runtime, workflows ? EnumSet.allOf(Service.class)
                : EnumSet.of(Service.WORKER, Service.INGRESS), Map.of());
    }

    /**
     * @param services which services to run (the ingress always)
     * @param settings configuration keys that replace the tests' defaults ({@link #config()})
     */
    public TestSystem(Path dataDir, Map<String, List<ScriptStep>> scripts, ContainerRuntime runtime,
                      Set<Service> services, Map<String, String> settings) throws IOException {
        this.dataDir = dataDir;
        this.runtime = runtime;
        String prefix = "e2e" + UUID.randomUUID().toString().substring(0, 8);
        // the shared broker, unless the settings name another cluster (the fault suite's)
        String bootstrap = settings.get("aegis.kafka.bootstrap-servers");
        Map<String, String> config = new HashMap<>(Map.of(
                "aegis.kafka.bootstrap-servers", bootstrap != null ? bootstrap : SharedTestBroker.get().bootstrapServers(),
                "aegis.kafka.topic-prefix", prefix,
                "aegis.kafka.partitions", "3",
                "aegis.data-dir", dataDir.toString(),
                "aegis.worker.group-id", "workers-" + prefix,
                "aegis.worker.internal-port", "0",
                "aegis.worker.runtime", "process",
                "aegis.worker.allow-unsafe-process-runtime", "true",
                "aegis.worker.work-dir", dataDir.toString(),
                "aegis.ingress.port", "0"));
        config.put("aegis.approvals.node-id", "test-node");
        config.put("aegis.ingress.node-id", "test-node");
        config.putAll(settings);
        this.config = Map.copyOf(config);
        ScriptedProvider provider = new ScriptedProvider("scripted-test", scripts);
        List<ResolvedModel> resolved = new ArrayList<>();
        scripts.keySet().forEach(name -> resolved.add(new ResolvedModel(name, provider, name)));
        models = new ModelRegistry(resolved);
        system = start(services);
        kafka = system.kafka();
        worker = services.contains(Service.WORKER) ? system.worker() : null;
        engine = services.contains(Service.WORKFLOW_ENGINE) ? system.engine() : null;
        approvals = services.contains(Service.APPROVALS) ? system.approvals() : null;
        ingress = system.ingress();
        token = Files.readString(ingress.tokenFile()).trim();
        base = "http://127.0.0.1:" + ingress.port();
    }

    /** The local API token's file, as {@code aegis up} prints it. */
    public Path tokenFile() {
        return ingress.tokenFile();
    }

    /** The configuration keys of this system: the shared broker, its own topics, group and data directory. */
    Map<String, String> config() {
        return config;
    }

    /** More services on this system's configuration, models and runtime (another worker of the same group). */
    AegisSystem start(Set<Service> services) {
        return start(services, Map.of());
    }

    /** The same, with some configuration keys replaced (another ingress node: its own node id and data dir). */
    AegisSystem start(Set<Service> services, Map<String, String> settings) {
        Map<String, String> merged = new HashMap<>(config);
        merged.putAll(settings);
        return AegisSystem.start(AegisSystem.Options.builder(Config.just(ConfigSources.create(merged)).get("aegis"))
                .services(services).models(models).runtime(runtime).build());
    }

    public HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(base + path)).header("Authorization", "Bearer " + token)
                .timeout(Duration.ofSeconds(30)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    public HttpResponse<String> post(String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(base + path)).header("Authorization", "Bearer " + token)
                .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** Deploys a manifest and returns the agent id. */
    public String deploy(String manifest) throws Exception {
        HttpResponse<String> res = post("/v1/agents", manifest);
        if (res.statusCode() / 100 != 2) {
            throw new AssertionError("deploy failed: " + res.statusCode() + " " + res.body());
        }
        return Json.tree(res.body()).get("agent_id").asText();
    }

    public String startExecution(String agentId, String input) throws Exception {
        HttpResponse<String> res = post("/v1/executions", Json.write(Map.of("agent_id", agentId, "input", input)));
        if (res.statusCode() != 200) {
            throw new AssertionError("start failed: " + res.statusCode() + " " + res.body());
        }
        return Json.tree(res.body()).get("execution_id").asText();
    }

    /** Registers a workflow manifest (expects {@code 201}). */
    public void registerWorkflow(String manifest) throws Exception {
        HttpResponse<String> res = post("/v1/workflows", manifest);
        if (res.statusCode() != 201) {
            throw new AssertionError("registering the workflow failed: " + res.statusCode() + " " + res.body());
        }
    }

    /** Starts a run of the workflow and returns its {@code workflow_execution_id}. */
    public String runWorkflow(String workflow, String input) throws Exception {
        HttpResponse<String> res = post("/v1/workflows/" + workflow + "/run", Json.write(Map.of("input", input)));
        if (res.statusCode() != 200) {
            throw new AssertionError("running " + workflow + " failed: " + res.statusCode() + " " + res.body());
        }
        return Json.tree(res.body()).get("workflow_execution_id").asText();
    }

    /** The settings that make a system's API trust this Keycloak's realm (tokens for {@link AegisRealm#AUDIENCE}). */
    public static Map<String, String> trusting(KeycloakServer keycloak) {
        return Map.of(
                "aegis.auth.oidc.issuers.0.issuer", keycloak.issuer(),
                "aegis.auth.oidc.issuers.0.audience", AegisRealm.AUDIENCE,
                "aegis.auth.oidc.issuers.0.jwks-uri", keycloak.jwksUri().toString());
    }

    /** An agent manifest (JSON) using the model alias {@code model}, allowed to use cmd.run. */
    public static String agent(String name, String model, int maxIterations) {
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
        // a GET that times out while a fault slows the node is asked again, within the same deadline
        org.awaitility.Awaitility.await().atMost(within).pollInterval(Duration.ofMillis(200))
                .ignoreExceptionsInstanceOf(java.net.http.HttpTimeoutException.class).until(() -> {
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

    public static JsonNode args(String json) {
        return Json.tree(json);
    }

    /** Every record of a topic of this system, from the beginning to where it ends now, in partition order. */
    List<ConsumerRecord<String, byte[]>> records(String topic) {
        return TopicRecords.all(kafka.consumer(null), topic);
    }

    /** The events on the topic of each of these executions, in order. */
    Map<String, List<ExecutionEvent>> events(List<String> ids) {
        Map<String, List<ExecutionEvent>> out = new HashMap<>();
        for (ConsumerRecord<String, byte[]> r : records(kafka.topics().executionEvents().name())) {
            ExecutionEvent e = Json.read(r.value(), ExecutionEvent.class);
            if (ids.contains(e.executionId())) {
                out.computeIfAbsent(e.executionId(), k -> new ArrayList<>()).add(e);
            }
        }
        return out;
    }

    /** Writes a record as any producer could (no checks, no headers unless given). */
    RecordMetadata write(ProducerRecord<String, byte[]> record) throws Exception {
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(kafka.producer())) {
            return producer.send(record).get(30, TimeUnit.SECONDS);
        }
    }

    @Override
    public void close() {
        system.close();
    }
}
