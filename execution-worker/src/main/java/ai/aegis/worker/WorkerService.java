package ai.aegis.worker;

import ai.aegis.http.Listeners;
import ai.aegis.schemas.agent.AgentRecord;
import ai.aegis.schemas.json.Json;
import ai.aegis.schemas.workflow.WorkflowStepResult;
import ai.aegis.topology.admin.TopicInstaller;
import ai.aegis.topology.agents.AgentRegistryView;
import ai.aegis.topology.kafka.DurablePublisher;
import ai.aegis.topology.kafka.KafkaSettings;
import ai.aegis.topology.lifecycle.Closer;
import ai.aegis.topology.tail.TopicTail;
import ai.aegis.worker.execution.ExecutionControls;
import ai.aegis.worker.execution.ExecutionRunner;
import ai.aegis.worker.gateway.DispatchGateway;
import ai.aegis.worker.gateway.DispatchGatewayRoutes;
import ai.aegis.worker.gateway.InnerLoopRegistry;
import ai.aegis.topology.deadletter.DeadLetters;
import ai.aegis.worker.kafka.AttemptSteps;
import ai.aegis.worker.kafka.CommandListener;
import ai.aegis.worker.kafka.ExecutionWorker;
import ai.aegis.worker.kafka.KafkaEventSink;
import ai.aegis.worker.llm.ModelRegistry;
import ai.aegis.worker.runtime.ContainerRuntime;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.HttpRouting;
import org.apache.kafka.clients.admin.Admin;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * One execution worker: a member of the workers' share group, the sandboxes it runs, and its internal
 * listener (the dispatch gateway those sandboxes call back through a Unix socket), bound apart from the public API.
 */
public final class WorkerService implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(WorkerService.class.getName());

    private final WebServer internal;
    private final ExecutionWorker worker;
    private final ContainerRuntime runtime;
    /** Everything the start opened; closing it stops the worker (newest first: the share group member first). */
    private final Closer resources;

    private WorkerService(WebServer internal, ExecutionWorker worker, ContainerRuntime runtime, Closer resources) {
        this.internal = internal;
        this.worker = worker;
        this.runtime = runtime;
        this.resources = resources;
    }

    /** Starts a worker on the runtime {@link RuntimeSelector} picks from the configuration. */
    public static WorkerService start(WorkerConfig config, KafkaSettings kafka, ModelRegistry models) {
        return start(config, kafka, models, RuntimeSelector.select(config));
    }

    /**
     * Starts a worker on {@code runtime}. A failure at any step (topics, the internal listener's port, Kafka) closes
     * what the earlier steps opened before it is rethrown.
     */
    public static WorkerService start(WorkerConfig config, KafkaSettings kafka, ModelRegistry models,
                                      ContainerRuntime runtime) {
        try (Admin admin = Admin.create(kafka.admin())) {
            TopicInstaller.ensure(admin, kafka.topics().all(), kafka.replicationFactor(),
                    config.topicInstallTimeout());
        }
        Closer opened = new Closer();
        try {
            AgentRegistryView agents = new AgentRegistryView();
            TopicTail agentsTail = opened.add(new TopicTail("worker-agents", kafka,
                    List.of(kafka.topics().agents().name()), r -> agents.onRecord(r.key(), r.value())).start());
            InnerLoopRegistry sessions = new InnerLoopRegistry();
            DispatchGateway gateway = new DispatchGateway(sessions, models, config.maxOutputBytes());
            HttpRouting.Builder routing = HttpRouting.builder();
            DispatchGatewayRoutes.install(routing, gateway);
            WebServer internal = Listeners.start(WebServer.builder()
                    .maxPayloadSize(4L * config.maxOutputBytes() + 64 * 1024)
                    .shutdownGracePeriod(config.shutdownGrace())
                    .routing(routing), "the worker's internal listener", config.internalHost(),
                    config.internalPort());
            opened.add(internal::stop);
            DurablePublisher publisher = opened.add(new DurablePublisher(kafka, DurablePublisher.sourceOf("worker")));
            KafkaEventSink events = new KafkaEventSink(publisher, kafka.topics().executionEvents().name());
            AttemptSteps steps = new AttemptSteps(step -> publisher.publishPatiently(
                    kafka.topics().workflowSteps().name(), step.workflowExecutionId(), Json.writeBytes(step),
                    WorkflowStepResult.CE_TYPE));
            ExecutionRunner runner = new ExecutionRunner(runtime, sessions, new ExecutionRunner.RunnerConfig(
                    new InetSocketAddress(config.internalHost(), internal.port()), config.workDir(),
                    config.maxOutputBytes(), "python3"),
                    name -> agentLookup(agents, agentsTail, config.agentLookupWait(), name), steps);
            ExecutionControls controls = new ExecutionControls();
            opened.add(new CommandListener(kafka, controls).start());
            DeadLetters deadLetters = new DeadLetters(publisher, kafka.topics().deadLetters().name(),
                    "execution-worker");
            ExecutionWorker worker = opened.add(new ExecutionWorker(kafka, config, runner, events, steps, controls,
                    deadLetters));
            worker.start();
            LOG.log(System.Logger.Level.INFO, "execution worker up: runtime " + runtime.name() + ", concurrency "
                    + config.concurrency() + ", dispatch gateway on " + config.internalHost() + ":" + internal.port()
                    + "; " + models.describe());
            return new WorkerService(internal, worker, runtime, opened);
        } catch (RuntimeException e) {
            opened.closeAll(e);
            throw e;
        }
    }

    private static Optional<AgentRecord> agentLookup(AgentRegistryView agents, TopicTail tail, Duration wait,
                                                     String name) {
        try {
            tail.awaitCaughtUp(wait);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return agents.get(name).or(() -> agents.byName(name));
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

    /**
     * Graceful stop: running executions are abandoned and their requests released (they run again on another
     * worker), then the listeners and clients close.
     */
    @Override
    public void close() {
        resources.close();
    }
}
