package ai.aegis.cli.bench;

import ai.aegis.cli.AegisSystem;
import ai.aegis.cli.AegisSystem.Service;
import ai.aegis.schemas.json.Json;
import ai.aegis.schemas.topic.TopicCatalog;
import ai.aegis.topology.kafka.KafkaConfigReader;
import ai.aegis.worker.llm.ModelRegistry;
import ai.aegis.worker.llm.ResolvedModel;
import ai.aegis.worker.llm.scripted.ScriptStep;
import ai.aegis.worker.llm.scripted.ScriptedProvider;
import ai.aegis.worker.runtime.process.ProcessRuntime;
import ai.aegis.worker.runtime.process.ProcessRuntimeConfig;
import io.helidon.config.Config;
import io.helidon.config.ConfigSources;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The whole system of one ingress scenario, composed as {@code aegis up} composes it (workflow engine, approvals,
 * the API on a free loopback port, and a worker on the process runtime unless the scenario leaves it out), on the
 * benchmark's embedded broker with topics of its own. Two agents are deployed: one whose scripted model runs a
 * command and answers ({@link BenchSystem#MODEL}), and one whose model keeps its execution running for hours
 * ({@link #HOLD_MODEL}), so that streams on it stay open and idle.
 */
final class ScenarioSystem implements AutoCloseable {

    /** A model that keeps an execution running: one long {@code sleep} after another. */
    static final String HOLD_MODEL = "bench-hold";
    /** Each hold step sleeps just under the gateway's longest command timeout (300 s). */
    private static final int HOLD_STEP_SECONDS = 290;
    /** Steps of the hold script: about three hours, far longer than any scenario. */
    private static final int HOLD_STEPS = 40;

    private final AegisSystem system;
    private final ExecutionProbe probe;
    private final String prefix;
    private final String base;
    private final String token;
    private final String clockAgent;
    private final String holdAgent;

    private ScenarioSystem(AegisSystem system, ExecutionProbe probe, String prefix, String base, String token,
                           String clockAgent, String holdAgent) {
        this.system = system;
        this.probe = probe;
        this.prefix = prefix;
        this.base = base;
        this.token = token;
        this.clockAgent = clockAgent;
        this.holdAgent = holdAgent;
    }

    /**
     * @param worker     whether the system runs a worker: without one, every execution stays pending
     * @param partitions partitions of the system's topics ({@code aegis.kafka.partitions})
     */
    static ScenarioSystem start(String bootstrapServers, String scenario, boolean worker, int partitions, Path dir)
            throws IOException, InterruptedException {
        return start(bootstrapServers, scenario, worker, partitions, dir, Map.of());
    }

    /** @param settings configuration keys added to the scenario's own (admission bounds raised, say) */
    static ScenarioSystem start(String bootstrapServers, String scenario, boolean worker, int partitions, Path dir,
                                Map<String, String> settings) throws IOException, InterruptedException {
        String prefix = "bench-" + scenario;
        Map<String, String> config = new HashMap<>(settings);
        config.put("aegis.kafka.partitions", Integer.toString(partitions));
        config.put("aegis.kafka.bootstrap-servers", bootstrapServers);
        config.put("aegis.kafka.topic-prefix", prefix);
        config.put("aegis.data-dir", Files.createDirectories(dir.resolve("data")).toString());
        config.put("aegis.worker.group-id", prefix + "-workers");
        config.put("aegis.worker.internal-port", "0");
        config.put("aegis.worker.work-dir", Files.createDirectories(dir.resolve("work")).toString());
        // loopback and a free port: never the default 8080, never reachable from outside
        config.put("aegis.ingress.host", "127.0.0.1");
        config.put("aegis.ingress.port", "0");
        Set<Service> services = worker ? Set.of(Service.values())
                : Set.of(Service.WORKFLOW_ENGINE, Service.APPROVALS, Service.INGRESS);
        AegisSystem system = AegisSystem.start(AegisSystem.Options
                .builder(Config.just(ConfigSources.create(config)).get("aegis"))
                .services(services).models(models())
                .runtime(new ProcessRuntime(new ProcessRuntimeConfig(null, dir.resolve("sandboxes")))).build());
        try {
            String base = "http://127.0.0.1:" + system.ingress().port();
            String token = Files.readString(system.ingress().tokenFile()).trim();
            ExecutionProbe probe = new ExecutionProbe(base, token);
            String clock = probe.deploy(BenchSystem.manifest(prefix + "-clock", null));
            String hold = probe.deploy(holdManifest(prefix + "-hold"));
            return new ScenarioSystem(system, probe, prefix, base, token, clock, hold);
        } catch (IOException | InterruptedException | RuntimeException e) {
            system.close();
            throw e;
        }
    }

    /** The clock model of the sandbox benchmark, and the hold model. */
    private static ModelRegistry models() {
        ModelRegistry clock = BenchSystem.models();
        List<ScriptStep> hold = new ArrayList<>();
        for (int i = 0; i < HOLD_STEPS; i++) {
            hold.add(ScriptStep.toolCall("cmd.run", Json.MAPPER.createObjectNode()
                    .put("command", "sleep " + HOLD_STEP_SECONDS).put("timeout_secs", HOLD_STEP_SECONDS + 10)));
        }
        hold.add(ScriptStep.reply("held"));
        ScriptedProvider holding = new ScriptedProvider("scripted-hold", Map.of(HOLD_MODEL, hold));
        List<ResolvedModel> all = new ArrayList<>(clock.models().values());
        all.add(new ResolvedModel(HOLD_MODEL, holding, HOLD_MODEL));
        return new ModelRegistry(all);
    }

    private static String holdManifest(String name) {
        return """
                {"apiVersion":"100monkeys.ai/v1","kind":"Agent",
                 "metadata":{"name":"%s","version":"1.0.0","description":"keeps its executions running"},
                 "spec":{"runtime":{"model":"%s"},"task":{"instruction":"Wait."},
                         "execution":{"max_iterations":1,"iteration_timeout":"14400s","llm_timeout_seconds":60},
                         "security":{"resources":{"timeout":"14400s"}},
                         "tools":["cmd.run"]}}""".formatted(name, HOLD_MODEL);
    }

    String base() {
        return base;
    }

    String token() {
        return token;
    }

    int port() {
        return system.ingress().port();
    }

    /** The stream listener's port; the scenario must have asked for one ({@code aegis.ingress.stream-port}). */
    int streamPort() {
        return system.ingress().streamPort().orElseThrow(() -> new IllegalStateException("no stream listener"));
    }

    /** A probe that posts to the public listener and follows the stream on the stream listener. */
    ExecutionProbe streamListenerProbe() {
        return new ExecutionProbe(base, "http://127.0.0.1:" + streamPort(), token);
    }

    /** The agent whose executions run one command and complete. */
    String clockAgent() {
        return clockAgent;
    }

    /** The agent whose executions keep running. */
    String holdAgent() {
        return holdAgent;
    }

    ExecutionProbe probe() {
        return probe;
    }

    String bootstrapServers() {
        return system.kafka().bootstrapServers();
    }

    String eventsTopic() {
        return new TopicCatalog(prefix, 1).executionEvents().name();
    }

    /** The body of {@code POST /v1/executions} for {@code agentId}. */
    static String startBody(String agentId) {
        return Json.write(Map.of("agent_id", agentId, "input", "benchmark"));
    }

    HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create(base + path)).header("Authorization", "Bearer " + token)
                .timeout(Duration.ofSeconds(120));
    }

    /** Starts an execution of {@code agentId} and returns its id. */
    String startExecution(HttpClient http, String agentId) throws IOException, InterruptedException {
        String body = call(http, request("/v1/executions")
                .POST(HttpRequest.BodyPublishers.ofString(startBody(agentId))).build(), "starting an execution");
        return Json.tree(body).get("execution_id").asText();
    }

    /** Registers a workflow manifest (YAML or JSON). */
    void registerWorkflow(HttpClient http, String manifest) throws IOException, InterruptedException {
        call(http, request("/v1/workflows").POST(HttpRequest.BodyPublishers.ofString(manifest)).build(),
                "registering the benchmark workflow");
    }

    /** Routes the stimuli of {@code source} straight to {@code workflow} ({@code PUT /v1/stimuli/routes/{source}}). */
    void route(HttpClient http, String source, String workflow) throws IOException, InterruptedException {
        call(http, request("/v1/stimuli/routes/" + source).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(Json.write(Map.of("workflow", workflow)))).build(),
                "setting the route of " + source);
    }

    /** Sends a set-up request; @return its body @throws IllegalStateException unless it answered 2xx */
    private static String call(HttpClient http, HttpRequest request, String what)
            throws IOException, InterruptedException {
        HttpResponse<String> res = http.send(request, HttpResponse.BodyHandlers.ofString());
        if (res.statusCode() / 100 != 2) {
            throw new IllegalStateException(what + " failed: " + res.statusCode() + " " + res.body());
        }
        return res.body();
    }

    /** The execution's status as {@code GET /v1/executions/{id}} reports it. */
    String status(HttpClient http, String executionId) throws IOException, InterruptedException {
        HttpResponse<String> res = http.send(request("/v1/executions/" + executionId).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        return res.statusCode() == 200 ? Json.tree(res.body()).path("status").asText() : "http " + res.statusCode();
    }

    void cancel(HttpClient http, String executionId) throws IOException, InterruptedException {
        http.send(request("/v1/executions/" + executionId + "/cancel").POST(HttpRequest.BodyPublishers.noBody())
                .build(), HttpResponse.BodyHandlers.discarding());
    }

    /** A gauge of this node's {@code /metrics}, or NaN when it is not there. */
    double gauge(HttpClient http, String name) throws IOException, InterruptedException {
        String body = http.send(request("/metrics").GET().build(), HttpResponse.BodyHandlers.ofString()).body();
        for (String line : body.split("\n")) {
            if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return Double.NaN;
    }

    @Override
    public void close() {
        system.close();
    }
}
