package ai.aegis.cli.bench;

import ai.aegis.ingress.IngressConfig;
import ai.aegis.ingress.IngressServer;
import ai.aegis.schemas.json.Json;
import ai.aegis.schemas.topic.TopicCatalog;
import ai.aegis.topology.kafka.KafkaConfigReader;
import ai.aegis.topology.kafka.KafkaSettings;
import ai.aegis.worker.WorkerConfig;
import ai.aegis.worker.WorkerService;
import ai.aegis.worker.llm.ModelRegistry;
import ai.aegis.worker.llm.ResolvedModel;
import ai.aegis.worker.llm.scripted.ScriptStep;
import ai.aegis.worker.llm.scripted.ScriptedProvider;
import ai.aegis.worker.runtime.ContainerRuntime;
import ai.aegis.worker.runtime.bubblewrap.BubblewrapRuntimeConfig;
import ai.aegis.worker.runtime.docker.DockerRuntimeConfig;
import io.helidon.config.Config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What {@code aegis up} composes, for one runtime: a worker on that runtime and the public API on a free loopback
 * port, on the shared embedded broker but with topics of their own, so that each runtime's worker only ever sees
 * its own executions. One is started, measured and closed at a time.
 */
final class BenchSystem implements AutoCloseable {

    static final String MODEL = "bench-clock";
    /** Prints the sandbox's wall clock in ns since the epoch: the moment the first command runs. */
    static final String COMMAND = "date +%s%N";

    private final WorkerService worker;
    private final IngressServer ingress;
    private final ExecutionProbe probe;
    private final String agentId;

    private BenchSystem(WorkerService worker, IngressServer ingress, ExecutionProbe probe, String agentId) {
        this.worker = worker;
        this.ingress = ingress;
        this.probe = probe;
        this.agentId = agentId;
    }

    /**
     * @param runtime the runtime under test, already built (and started, for docker)
     * @param image   the agent's image (docker only), else null
     */
    static BenchSystem start(String bootstrapServers, ContainerRuntime runtime, String image, Path dir,
                             DockerRuntimeConfig docker, BubblewrapRuntimeConfig bubblewrap)
            throws IOException, InterruptedException {
        KafkaSettings kafka = KafkaSettings.of(bootstrapServers,
                new TopicCatalog("bench-" + runtime.name(), KafkaConfigReader.DEFAULT_PARTITIONS), "aegis-bench");
        WorkerConfig defaults = WorkerConfig.from(Config.empty());
        WorkerConfig config = new WorkerConfig("bench-workers-" + runtime.name(), defaults.concurrency(), "127.0.0.1",
                0, runtime.name(), true, defaults.pythonCommand(), defaults.maxOutputBytes(),
                Files.createDirectories(dir.resolve("work")), defaults.failoverTimeout(), docker, bubblewrap);
        WorkerService worker = WorkerService.start(config, kafka.withClientId("aegis-bench-worker"), models(), runtime);
        IngressServer ingress = null;
        try {
            IngressConfig in = IngressConfig.builder()
                    .dataDir(Files.createDirectories(dir.resolve("ingress")))
                    // loopback and a free port: never the default 8080, never reachable from outside
                    .host("127.0.0.1")
                    .port(0)
                    .build();
            ingress = IngressServer.start(in, kafka.withClientId("aegis-bench-ingress"));
            ExecutionProbe probe = new ExecutionProbe("http://127.0.0.1:" + ingress.port(),
                    Files.readString(ingress.tokenFile()).trim());
            String agentId = probe.deploy(manifest("bench-" + runtime.name(), image));
            return new BenchSystem(worker, ingress, probe, agentId);
        } catch (IOException | InterruptedException | RuntimeException e) {
            if (ingress != null) {
                ingress.close();
            }
            worker.close();
            throw e;
        }
    }

    Sample measure() throws IOException, InterruptedException {
        return probe.measure(agentId);
    }

    /** The scripted model: run the clock command, then answer with what it printed. */
    static ModelRegistry models() {
        ScriptedProvider provider = new ScriptedProvider("scripted-bench", Map.of(MODEL, List.of(
                ScriptStep.toolCall("cmd.run", Json.MAPPER.createObjectNode().put("command", COMMAND)),
                ScriptStep.reply("{{last_tool_stdout}}"))));
        return new ModelRegistry(List.of(new ResolvedModel(MODEL, provider, MODEL)));
    }

    static String manifest(String name, String image) {
        String runtime = image == null ? "{\"model\":\"%s\"}".formatted(MODEL)
                : "{\"model\":\"%s\",\"image\":\"%s\",\"image_pull_policy\":\"Never\"}".formatted(MODEL, image);
        return """
                {"apiVersion":"100monkeys.ai/v1","kind":"Agent",
                 "metadata":{"name":"%s","version":"1.0.0","description":"sandbox start latency benchmark"},
                 "spec":{"runtime":%s,"task":{"instruction":"Print the sandbox clock."},
                         "execution":{"max_iterations":1,"iteration_timeout":"60s"},
                         "tools":["cmd.run"]}}""".formatted(name, runtime);
    }

    @Override
    public void close() {
        ingress.close();
        worker.close();
    }
}
