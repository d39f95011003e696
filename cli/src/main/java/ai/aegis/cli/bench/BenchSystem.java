package ai.aegis.cli.bench;

import ai.aegis.cli.AegisSystem;
import ai.aegis.cli.AegisSystem.Service;
import ai.aegis.schemas.json.Json;
import ai.aegis.worker.llm.ModelRegistry;
import ai.aegis.worker.llm.ResolvedModel;
import ai.aegis.worker.llm.scripted.ScriptStep;
import ai.aegis.worker.llm.scripted.ScriptedProvider;
import ai.aegis.worker.runtime.ContainerRuntime;
import io.helidon.config.Config;
import io.helidon.config.ConfigSources;

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

    private final AegisSystem system;
    private final ExecutionProbe probe;
    private final String agentId;

    private BenchSystem(AegisSystem system, ExecutionProbe probe, String agentId) {
        this.system = system;
        this.probe = probe;
        this.agentId = agentId;
    }

    /**
     * @param runtime the runtime under test, already built (and started, for docker)
     * @param image   the agent's image (docker only), else null
     */
    static BenchSystem start(String bootstrapServers, ContainerRuntime runtime, String image, Path dir)
            throws IOException, InterruptedException {
        Map<String, String> config = Map.of(
                "aegis.kafka.bootstrap-servers", bootstrapServers,
                "aegis.kafka.topic-prefix", "bench-" + runtime.name(),
                "aegis.data-dir", Files.createDirectories(dir.resolve("ingress")).toString(),
                "aegis.worker.group-id", "bench-workers-" + runtime.name(),
                "aegis.worker.internal-port", "0",
                "aegis.worker.work-dir", Files.createDirectories(dir.resolve("work")).toString(),
                // loopback and a free port: never the default 8080, never reachable from outside
                "aegis.ingress.host", "127.0.0.1",
                "aegis.ingress.port", "0");
        AegisSystem system = AegisSystem.start(AegisSystem.Options
                .builder(Config.just(ConfigSources.create(config)).get("aegis"))
                .services(Service.WORKER, Service.INGRESS).models(models()).runtime(runtime).build());
        try {
            ExecutionProbe probe = new ExecutionProbe("http://127.0.0.1:" + system.ingress().port(),
                    Files.readString(system.ingress().tokenFile()).trim());
            String agentId = probe.deploy(manifest("bench-" + runtime.name(), image));
            return new BenchSystem(system, probe, agentId);
        } catch (IOException | InterruptedException | RuntimeException e) {
            system.close();
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
        system.close();
    }
}
