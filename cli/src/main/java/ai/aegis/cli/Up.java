package ai.aegis.cli;

import ai.aegis.approval.ApprovalConfig;
import ai.aegis.approval.ApprovalRoutes;
import ai.aegis.approval.ApprovalService;
import ai.aegis.broker.EmbeddedKafkaBroker;
import ai.aegis.ingress.IngressConfig;
import ai.aegis.ingress.IngressServer;
import ai.aegis.topology.config.AegisConfigLoader;
import ai.aegis.topology.kafka.KafkaConfigReader;
import ai.aegis.topology.kafka.KafkaSettings;
import ai.aegis.topology.workflow.WorkflowEngineService;
import ai.aegis.topology.workflow.WorkflowRetention;
import ai.aegis.worker.WorkerConfig;
import ai.aegis.worker.WorkerService;
import ai.aegis.worker.llm.ModelRegistry;
import io.helidon.config.Config;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * {@code aegis up}: the whole system in one JVM on embedded defaults: a real single-node Kafka broker (data under
 * the data directory, kept across restarts), one execution worker, the workflow engine, the approval service, and
 * the public API (which serves the approval routes too).
 */
final class Up {

    private static final Duration STREAMS_START = Duration.ofSeconds(90);

    private Up() {
    }

    static int run(Options options, PrintStream out) {
        Running running = start(options, out);
        out.println("Press Ctrl-C to stop.");
        Services.awaitShutdown(running);
        out.println("Aegis stopped.");
        return -1;
    }

    /** Everything {@code up} started, closed in reverse order. */
    record Running(IngressServer ingress, WorkerService worker, List<AutoCloseable> started) implements AutoCloseable {
        @Override
        public void close() {
            closeAll(started);
        }
    }

    static Running start(Options options, PrintStream out) {
        Config aegis = AegisConfigLoader.load(options.config()).get("aegis");
        Path dataDir = Services.dataDir(aegis, options).toAbsolutePath();
        List<AutoCloseable> started = new ArrayList<>();
        try {
            String servers;
            String kafkaNote;
            if (options.bootstrapServers().isPresent() || aegis.get("kafka.bootstrap-servers").exists()) {
                servers = options.bootstrapServers().orElseGet(() -> aegis.get("kafka.bootstrap-servers").asString().get());
                kafkaNote = "external cluster " + servers;
            } else {
                EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dataDir.resolve("kafka"));
                started.add(broker);
                servers = broker.bootstrapServers();
                kafkaNote = "embedded broker " + servers + " (data in " + broker.dataDir() + ")";
            }
            KafkaSettings kafka = KafkaConfigReader.read(aegis.get("kafka"), "aegis", servers);

            WorkerConfig workerConfig = WorkerConfig.from(aegis).withAllowUnsafeProcessRuntime(true);
            if (options.internalPort().isPresent()) {
                workerConfig = workerConfig.withInternalPort(options.internalPort().get());
            }
            if (options.runtime().isPresent()) {
                workerConfig = workerConfig.withRuntime(options.runtime().get());
            }
            ModelRegistry models = ModelRegistry.fromConfig(aegis.get("llm"));
            WorkerService worker = WorkerService.start(workerConfig, kafka.withClientId("aegis-worker"), models);
            started.add(worker);

            KafkaSettings engineKafka = kafka.withClientId("aegis-workflow-engine");
            WorkflowEngineService engine = new WorkflowEngineService(engineKafka,
                    WorkflowEngineService.defaultApplicationId(engineKafka), dataDir.resolve("streams"),
                    WorkflowRetention.read(aegis.get("workflows"))).start(STREAMS_START);
            started.add(engine);
            ApprovalService approvals = ApprovalService.start(ApprovalConfig.read(aegis.get("approvals")),
                    kafka.withClientId("aegis-approvals"), dataDir);
            started.add(approvals);

            IngressConfig ingressConfig = IngressConfig.from(aegis, dataDir);
            if (options.port().isPresent()) {
                ingressConfig = ingressConfig.withPort(options.port().get());
            }
            IngressServer ingress = IngressServer.start(ingressConfig, kafka.withClientId("aegis-ingress"),
                    Map.of(ApprovalRoutes.PATH, new ApprovalRoutes(approvals)),
                    Map.of("workflow_engine", engine::healthy, "approval_service", approvals::healthy));
            started.add(ingress);

            out.println();
            out.println("Aegis is up: http://localhost:" + ingress.port());
            if (ingress.tokenFile() != null) {
                out.println("  API token:  " + ingress.tokenFile()
                        + "   (export AEGIS_TOKEN=$(cat " + ingress.tokenFile() + "))");
            }
            out.println("  Kafka:      " + kafkaNote);
            out.println("  Worker:     runtime '" + worker.runtime().name() + "'"
                    + (worker.runtime().isolates() ? "" : " (NO isolation: agents run as host processes)")
                    + ", dispatch gateway on 127.0.0.1:" + worker.internalPort());
            out.println("  Workflows:  engine " + engine.applicationId() + ", approval service node "
                    + approvals.nodeId() + " (routes under /v1/workflows and /v1/human-approvals)");
            out.println("  Models:     " + models.describe());
            Collections.reverse(started);
            return new Running(ingress, worker, started);
        } catch (RuntimeException e) {
            Collections.reverse(started);
            closeAll(started);
            throw e;
        }
    }

    private static void closeAll(List<AutoCloseable> services) {
        for (AutoCloseable s : services) {
            try {
                s.close();
            } catch (Exception ignored) {
                // keep closing the rest
            }
        }
    }
}
