package ai.aegis.cli;

import ai.aegis.approval.ApprovalConfig;
import ai.aegis.approval.ApprovalRoutes;
import ai.aegis.approval.ApprovalService;
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
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/** The services run on their own, each as a separate process against an external Kafka cluster. */
final class Services {

    private Services() {
    }

    static int ingress(Options options, PrintStream out) {
        Config aegis = AegisConfigLoader.load(options.config()).get("aegis");
        KafkaSettings kafka = kafka(aegis, options, "aegis-ingress");
        IngressConfig config = IngressConfig.from(aegis, dataDir(aegis, options));
        if (options.port().isPresent()) {
            config = config.withPort(options.port().get());
        }
        // The approval service is a Kafka Streams app whose instances scale with the ingress nodes that serve its
        // routes: each ingress process runs one.
        ApprovalService approvals = ApprovalService.start(ApprovalConfig.read(aegis.get("approvals")),
                kafka.withClientId("aegis-approvals"), dataDir(aegis, options));
        IngressServer server = IngressServer.start(config, kafka,
                Map.of(ApprovalRoutes.PATH, new ApprovalRoutes(approvals)),
                Map.of("approval_service", approvals::healthy));
        out.println("Aegis ingress on http://localhost:" + server.port() + " (Kafka " + kafka.bootstrapServers() + ")");
        if (server.tokenFile() != null) {
            out.println("API token: " + server.tokenFile());
        }
        awaitShutdown(() -> {
            server.close();
            approvals.close();
        });
        return -1;
    }

    /** The workflow engine on its own (any number of instances: Kafka Streams spreads the runs over them). */
    static int engine(Options options, PrintStream out) {
        Config aegis = AegisConfigLoader.load(options.config()).get("aegis");
        KafkaSettings kafka = kafka(aegis, options, "aegis-workflow-engine");
        WorkflowEngineService engine = new WorkflowEngineService(kafka,
                WorkflowEngineService.defaultApplicationId(kafka), dataDir(aegis, options).resolve("streams"),
                WorkflowRetention.read(aegis.get("workflows")));
        // A standalone engine whose Streams client died exits, so that its supervisor restarts it. The exit runs on
        // its own thread: the shutdown hooks close the engine, which the Streams thread must not wait for.
        engine.start(java.time.Duration.ofSeconds(90), () -> Thread.ofPlatform().start(() -> {
            System.err.println("aegis engine: the workflow engine stopped on an error; exiting");
            System.exit(1);
        }));
        out.println("Aegis workflow engine up (Kafka " + kafka.bootstrapServers() + ", application id "
                + engine.applicationId() + ")");
        awaitShutdown(engine);
        return -1;
    }

    static int worker(Options options, PrintStream out) {
        Config aegis = AegisConfigLoader.load(options.config()).get("aegis");
        KafkaSettings kafka = kafka(aegis, options, "aegis-worker");
        WorkerConfig config = WorkerConfig.from(aegis);
        if (options.internalPort().isPresent()) {
            config = config.withInternalPort(options.internalPort().get());
        }
        if (options.runtime().isPresent()) {
            config = config.withRuntime(options.runtime().get());
        }
        ModelRegistry models = ModelRegistry.fromConfig(aegis.get("llm"));
        WorkerService worker = WorkerService.start(config, kafka, models);
        out.println("Aegis execution worker up (Kafka " + kafka.bootstrapServers() + ", dispatch gateway port "
                + worker.internalPort() + ")");
        out.println(models.describe());
        awaitShutdown(worker);
        return -1;
    }

    static KafkaSettings kafka(Config aegis, Options options, String clientId) {
        Config kafka = aegis.get("kafka");
        return options.bootstrapServers()
                .map(s -> KafkaConfigReader.read(kafka, clientId, s))
                .orElseGet(() -> KafkaConfigReader.read(kafka, clientId));
    }

    static Path dataDir(Config aegis, Options options) {
        return options.dataDir().orElseGet(() -> Path.of(aegis.get("data-dir").asString()
                .orElse(System.getProperty("user.home") + "/.aegis")));
    }

    /** Keeps the process alive until Ctrl-C, then closes the service. */
    static void awaitShutdown(AutoCloseable service) {
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                service.close();
            } catch (Exception ignored) {
                // shutting down anyway
            }
            stopped.countDown();
        }));
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
