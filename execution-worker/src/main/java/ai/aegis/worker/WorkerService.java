package ai.aegis.worker;

import ai.aegis.schemas.agent.AgentRecord;
import ai.aegis.schemas.json.Json;
import ai.aegis.schemas.workflow.WorkflowStepResult;
import ai.aegis.topology.admin.TopicInstaller;
import ai.aegis.topology.agents.AgentRegistryView;
import ai.aegis.topology.kafka.DurablePublisher;
import ai.aegis.topology.kafka.KafkaSettings;
import ai.aegis.topology.tail.TopicTail;
import ai.aegis.worker.execution.ExecutionControls;
import ai.aegis.worker.execution.ExecutionRunner;
import ai.aegis.worker.execution.SilenceableSink;
import ai.aegis.worker.gateway.DispatchGateway;
import ai.aegis.worker.gateway.DispatchGatewayRoutes;
import ai.aegis.worker.gateway.InnerLoopRegistry;
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

/**
 * One execution worker: a member of the workers' consumer group, the sandboxes it runs, and its internal
 * listener (the dispatch gateway those sandboxes call back through a Unix socket), bound apart from the public API.
 */
public final class WorkerService implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(WorkerService.class.getName());

    private final WebServer internal;
    private final ExecutionWorker worker;
    private final DurablePublisher publisher;
    private final ContainerRuntime runtime;
    private final TopicTail agentsTail;
    private final CommandListener commands;
    private final SilenceableSink events;
    private final ExecutionControls controls;
    private final java.util.concurrent.atomic.AtomicBoolean stopped = new java.util.concurrent.atomic.AtomicBoolean();

    private WorkerService(WebServer internal, ExecutionWorker worker, DurablePublisher publisher,
                          ContainerRuntime runtime, TopicTail agentsTail, CommandListener commands,
                          SilenceableSink events, ExecutionControls controls) {
        this.internal = internal;
        this.worker = worker;
        this.publisher = publisher;
        this.runtime = runtime;
        this.agentsTail = agentsTail;
        this.commands = commands;
        this.events = events;
        this.controls = controls;
    }

    /** Starts a worker on the runtime {@link RuntimeSelector} picks from the configuration. */
    public static WorkerService start(WorkerConfig config, KafkaSettings kafka, ModelRegistry models) {
        return start(config, kafka, models, RuntimeSelector.select(config));
    }

    public static WorkerService start(WorkerConfig config, KafkaSettings kafka, ModelRegistry models,
                                      ContainerRuntime runtime) {
        try (Admin admin = Admin.create(kafka.admin())) {
            TopicInstaller.ensure(admin, kafka.topics().all(), kafka.replicationFactor(), Duration.ofSeconds(60));
        }
        AgentRegistryView agents = new AgentRegistryView();
        TopicTail agentsTail = new TopicTail("worker-agents", kafka, List.of(kafka.topics().agents().name()),
                r -> agents.onRecord(r.key(), r.value())).start();
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
        DurablePublisher publisher = new DurablePublisher(kafka, DurablePublisher.sourceOf("worker"));
        SilenceableSink events = new SilenceableSink(
                new KafkaEventSink(publisher, kafka.topics().executionEvents().name()));
        ExecutionRunner runner = new ExecutionRunner(runtime, sessions, new ExecutionRunner.RunnerConfig(
                new InetSocketAddress(config.internalHost(), internal.port()), config.workDir(),
                config.maxOutputBytes(), "python3"), name -> agentLookup(agents, agentsTail, name),
                step -> publisher.publishPatiently(kafka.topics().workflowSteps().name(), step.workflowExecutionId(),
                        Json.writeBytes(step), WorkflowStepResult.CE_TYPE));
        ExecutionControls controls = new ExecutionControls();
        CommandListener commands = new CommandListener(kafka, controls).start();
        ExecutionWorker worker = new ExecutionWorker(kafka, config.groupId(), config.concurrency(),
                config.failoverTimeout(), runner, events, controls).start();
        LOG.log(System.Logger.Level.INFO, "execution worker up: runtime " + runtime.name() + ", concurrency "
                + config.concurrency() + ", dispatch gateway on " + config.internalHost() + ":" + internal.port()
                + "; " + models.describe());
        return new WorkerService(internal, worker, publisher, runtime, agentsTail, commands, events, controls);
    }

    private static java.util.Optional<AgentRecord> agentLookup(AgentRegistryView agents, TopicTail tail,
                                                               String name) {
        try {
            tail.awaitCaughtUp(Duration.ofSeconds(10));
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
     * Stops as if the process had died (failure tests): sandboxes are killed, nothing more is written, nothing is
     * committed, and the group is not told; the remaining workers take over after the failover timeout.
     */
    public void halt() {
        if (!stopped.compareAndSet(false, true)) {
            return;
        }
        events.silence();
        worker.halt();
        commands.close();
        agentsTail.close();
        internal.stop();
        publisher.close();
    }

    @Override
    public void close() {
        if (!stopped.compareAndSet(false, true)) {
            return;
        }
        worker.close();
        commands.close();
        agentsTail.close();
        internal.stop();
        publisher.close();
    }
}
