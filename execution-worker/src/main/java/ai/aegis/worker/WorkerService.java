package ai.aegis.worker;

import ai.aegis.topology.admin.TopicInstaller;
import ai.aegis.topology.kafka.DurablePublisher;
import ai.aegis.topology.kafka.KafkaSettings;
import ai.aegis.worker.execution.ExecutionRunner;
import ai.aegis.worker.gateway.DispatchGateway;
import ai.aegis.worker.gateway.DispatchGatewayRoutes;
import ai.aegis.worker.gateway.InnerLoopRegistry;
import ai.aegis.worker.kafka.ExecutionWorker;
import ai.aegis.worker.kafka.KafkaEventSink;
import ai.aegis.worker.llm.ModelRegistry;
import ai.aegis.worker.runtime.ContainerRuntime;
import ai.aegis.worker.runtime.process.ProcessRuntime;
import ai.aegis.worker.runtime.process.ProcessRuntimeConfig;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.HttpRouting;
import org.apache.kafka.clients.admin.Admin;

import java.time.Duration;

/**
 * One execution worker: a member of the workers' consumer group, the sandboxes it runs, and its internal
 * listener (the dispatch gateway those sandboxes call back), bound apart from the public API.
 */
public final class WorkerService implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(WorkerService.class.getName());

    private final WebServer internal;
    private final ExecutionWorker worker;
    private final DurablePublisher publisher;
    private final ContainerRuntime runtime;

    private WorkerService(WebServer internal, ExecutionWorker worker, DurablePublisher publisher,
                          ContainerRuntime runtime) {
        this.internal = internal;
        this.worker = worker;
        this.publisher = publisher;
        this.runtime = runtime;
    }

    public static WorkerService start(WorkerConfig config, KafkaSettings kafka, ModelRegistry models) {
        ContainerRuntime runtime = selectRuntime(config);
        try (Admin admin = Admin.create(kafka.admin())) {
            TopicInstaller.ensure(admin, kafka.topics().all(), kafka.replicationFactor(), Duration.ofSeconds(60));
        }
        InnerLoopRegistry sessions = new InnerLoopRegistry();
        DispatchGateway gateway = new DispatchGateway(sessions, models, config.maxOutputBytes());
        HttpRouting.Builder routing = HttpRouting.builder();
        DispatchGatewayRoutes.install(routing, gateway);
        WebServer internal = WebServer.builder()
                .host(config.internalHost())
                .port(config.internalPort())
                .maxPayloadSize(4L * config.maxOutputBytes() + 64 * 1024)
                .shutdownGracePeriod(Duration.ofSeconds(1))
                .routing(routing)
                .build()
                .start();
        String url = config.orchestratorUrl().isBlank()
                ? "http://" + config.internalHost() + ":" + internal.port()
                : config.orchestratorUrl();
        DurablePublisher publisher = new DurablePublisher(kafka, DurablePublisher.sourceOf("worker"));
        KafkaEventSink events = new KafkaEventSink(publisher, kafka.topics().executionEvents().name());
        ExecutionRunner runner = new ExecutionRunner(runtime, sessions,
                new ExecutionRunner.RunnerConfig(url, config.maxOutputBytes(), "python3"));
        ExecutionWorker worker = new ExecutionWorker(kafka, config.groupId(), config.concurrency(), runner, events)
                .start();
        LOG.log(System.Logger.Level.INFO, "execution worker up: runtime " + runtime.name() + ", concurrency "
                + config.concurrency() + ", dispatch gateway on " + url + "; " + models.describe());
        return new WorkerService(internal, worker, publisher, runtime);
    }

    /**
     * Only the process runtime exists so far. It does not isolate the agent, so it runs only when explicitly
     * allowed ({@code aegis up} allows it and says so).
     */
    static ContainerRuntime selectRuntime(WorkerConfig config) {
        if (!config.runtime().equals("auto") && !config.runtime().equals("process")) {
            throw new IllegalArgumentException("unknown container runtime '" + config.runtime()
                    + "' (available: process)");
        }
        if (!config.allowUnsafeProcessRuntime()) {
            throw new IllegalStateException("no isolating container runtime is available on this worker, and the "
                    + "process runtime (no isolation) is not allowed: set aegis.worker.allow-unsafe-process-runtime"
                    + "=true (env AEGIS_WORKER_ALLOW_UNSAFE_PROCESS_RUNTIME=true) to run agents without isolation");
        }
        LOG.log(System.Logger.Level.WARNING, "using the process runtime: agents run as plain processes on this host,"
                + " WITHOUT isolation");
        return new ProcessRuntime(new ProcessRuntimeConfig(java.nio.file.Path.of(config.pythonCommand()), config.workDir()));
    }

    public int internalPort() {
        return internal.port();
    }

    public ContainerRuntime runtime() {
        return runtime;
    }

    public int activeExecutions() {
        return worker.active();
    }

    @Override
    public void close() {
        worker.close();
        internal.stop();
        publisher.close();
    }
}
