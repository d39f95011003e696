package ai.aegis.worker;

import ai.aegis.http.Listeners;
import ai.aegis.schemas.agent.AgentRecord;
import ai.aegis.schemas.json.Json;
import ai.aegis.schemas.smcp.SmcpSigningKey;
import ai.aegis.schemas.workflow.WorkflowStepResult;
import ai.aegis.topology.admin.TopicInstaller;
import ai.aegis.topology.agents.AgentRegistryView;
import ai.aegis.topology.deadletter.DeadLetters;
import ai.aegis.topology.health.ComponentHealth;
import ai.aegis.topology.health.HealthCheck;
import ai.aegis.topology.health.MetricFamily;
import ai.aegis.topology.kafka.DurablePublisher;
import ai.aegis.topology.kafka.KafkaSettings;
import ai.aegis.topology.lifecycle.Closer;
import ai.aegis.topology.serde.WireReaders;
import ai.aegis.topology.tail.TopicTail;
import ai.aegis.worker.execution.ExecutionControls;
import ai.aegis.worker.execution.ExecutionRunner;
import ai.aegis.worker.gateway.DispatchGateway;
import ai.aegis.worker.gateway.DispatchGatewayRoutes;
import ai.aegis.worker.gateway.InnerLoopRegistry;
import ai.aegis.worker.kafka.AttemptSteps;
import ai.aegis.worker.kafka.CommandListener;
import ai.aegis.worker.kafka.ExecutionWorker;
import ai.aegis.worker.kafka.KafkaEventSink;
import ai.aegis.worker.llm.ModelRegistry;
import ai.aegis.worker.runtime.ContainerRuntime;
import ai.aegis.worker.smcp.IterationSecurity;
import ai.aegis.worker.smcp.ReplayGuard;
import ai.aegis.worker.smcp.SmcpConfig;
import ai.aegis.worker.smcp.SmcpMetrics;
import ai.aegis.worker.smcp.SmcpRoutes;
import ai.aegis.worker.smcp.SmcpService;
import ai.aegis.worker.smcp.crypto.KeyRing;
import ai.aegis.worker.smcp.crypto.SecurityTokens;
import ai.aegis.worker.smcp.crypto.SigningKey;
import ai.aegis.worker.smcp.mcp.McpServers;
import ai.aegis.worker.smcp.policy.RateLimiter;
import ai.aegis.worker.smcp.session.SessionStore;
import ai.aegis.worker.smcp.tools.ToolCatalogue;
import ai.aegis.worker.smcp.tools.ToolInvoker;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.HttpRouting;
import org.apache.kafka.clients.admin.Admin;

import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One execution worker: a member of the workers' share group, the sandboxes it runs, and its internal
 * listener (the dispatch gateway those sandboxes call back through a Unix socket), bound apart from the public API.
 */
public final class WorkerService implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(WorkerService.class.getName());

    /** The tail of the agents topic (its dead letters are {@code worker-agents-tail}'s). */
    public static final String AGENTS_TAIL = "worker-agents";
    /** The tail of the SMCP sessions topic: sessions and signing keys of every worker. */
    public static final String SMCP_TAIL = "worker-smcp-sessions";

    private final WebServer internal;
    private final ExecutionWorker worker;
    private final ContainerRuntime runtime;
    private final TopicTail agentsTail;
    private final TopicTail smcpTail;
    private final SmcpService smcp;
    private final CommandListener commands;
    private final List<DeadLetters> deadLetters;
    /** Everything the start opened; closing it stops the worker (newest first: the share group member first). */
    private final Closer resources;

    private WorkerService(WebServer internal, ExecutionWorker worker, ContainerRuntime runtime, TopicTail agentsTail,
                          TopicTail smcpTail, SmcpService smcp, CommandListener commands,
                          List<DeadLetters> deadLetters, Closer resources) {
        this.internal = internal;
        this.worker = worker;
        this.runtime = runtime;
        this.agentsTail = agentsTail;
        this.smcpTail = smcpTail;
        this.smcp = smcp;
        this.commands = commands;
        this.deadLetters = deadLetters;
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
            // First: the tails write their dead letters through it, and close before it.
            DurablePublisher publisher = opened.add(new DurablePublisher(kafka, DurablePublisher.sourceOf("worker")));
            String deadLetterTopic = kafka.topics().deadLetters().name();
            DeadLetters agentLetters = new DeadLetters(publisher, deadLetterTopic,
                    TopicTail.consumerName(AGENTS_TAIL));
            DeadLetters commandLetters = new DeadLetters(publisher, deadLetterTopic,
                    TopicTail.consumerName(CommandListener.TAIL));
            AgentRegistryView agents = new AgentRegistryView();
            TopicTail agentsTail = opened.add(new TopicTail(AGENTS_TAIL, kafka,
                    List.of(kafka.topics().agents().name()),
                    r -> agents.onRecord(WireReaders.key(r), r.value()), agentLetters).start());
            InnerLoopRegistry sessions = new InnerLoopRegistry();
            SmcpConfig sc = config.smcp();
            SigningKey signingKey = sc.signingKeyFile() == null ? SigningKey.ephemeral()
                    : SigningKey.loadOrCreate(sc.signingKeyFile());
            KeyRing keys = new KeyRing(signingKey, 1000);
            SessionStore smcpSessions = new SessionStore(sc.rememberedSessions(), keys);
            DeadLetters smcpLetters = new DeadLetters(publisher, deadLetterTopic, TopicTail.consumerName(SMCP_TAIL));
            String smcpTopic = kafka.topics().smcpSessions().name();
            TopicTail smcpTail = opened.add(new TopicTail(SMCP_TAIL, kafka, List.of(smcpTopic),
                    r -> smcpSessions.onRecord(WireReaders.key(r), r.value()), smcpLetters).start());
            McpServers mcp = opened.add(new McpServers(sc.mcpServers()));
            ToolInvoker invoker = new ToolInvoker(new ToolCatalogue(mcp), mcp, new RateLimiter(sc.rateLimiterEntries()),
                    config.maxOutputBytes());
            SmcpMetrics smcpMetrics = new SmcpMetrics(smcpSessions::liveCount);
            SmcpService smcp = new SmcpService(sc, sessions, new SecurityTokens(keys, sc.issuer(), sc.audience(),
                    Clock.systemUTC()), smcpSessions, new ReplayGuard(sc.replayCacheEntries(),
                    sc.clockSkew().toSeconds()), invoker, publisher, smcpTopic, smcpMetrics, Clock.systemUTC());
            try {
                smcp.publishSigningKey(new SmcpSigningKey(signingKey.keyId(),
                        Json.toTree(signingKey.publicJwk().toJSONObject()), Instant.now()));
            } catch (DurablePublisher.UnavailableException e) {
                throw new IllegalStateException("cannot publish the SMCP signing key: " + e.getMessage(), e);
            }
            DispatchGateway gateway = new DispatchGateway(sessions, models, invoker, smcpMetrics);
            HttpRouting.Builder routing = HttpRouting.builder();
            SmcpRoutes.install(routing, smcp, keys);
            DispatchGatewayRoutes.install(routing, gateway);
            WebServer internal = Listeners.start(WebServer.builder()
                    .maxPayloadSize(4L * config.maxOutputBytes() + 64 * 1024)
                    .shutdownGracePeriod(config.shutdownGrace())
                    .routing(routing), "the worker's internal listener", config.internalHost(),
                    config.internalPort());
            opened.add(internal::stop);
            KafkaEventSink events = new KafkaEventSink(publisher, kafka.topics().executionEvents().name());
            AttemptSteps steps = new AttemptSteps(step -> publisher.publishPatiently(
                    kafka.topics().workflowSteps().name(), step.workflowExecutionId(), Json.writeBytes(step),
                    WorkflowStepResult.CE_TYPE));
            ExecutionRunner runner = new ExecutionRunner(runtime, sessions, new ExecutionRunner.RunnerConfig(
                    new InetSocketAddress(config.internalHost(), internal.port()), config.workDir(),
                    config.maxOutputBytes(), "python3", config.output()),
                    name -> agentLookup(agents, agentsTail, config.agentLookupWait(), name), steps,
                    new IterationSecurity(sc.securityContexts(), sc.defaultSecurityContext(), sc.enabled(),
                            loop -> smcp.endSession(loop, "iteration ended")));
            ExecutionControls controls = new ExecutionControls();
            CommandListener commands = opened.add(new CommandListener(kafka, controls, commandLetters).start());
            DeadLetters requestLetters = new DeadLetters(publisher, deadLetterTopic, ExecutionWorker.CONSUMER);
            ExecutionWorker worker = opened.add(new ExecutionWorker(kafka, config, runner, events, steps, controls,
                    requestLetters));
            worker.start();
            LOG.log(System.Logger.Level.INFO, "execution worker up: runtime " + runtime.name() + ", concurrency "
                    + config.concurrency() + ", dispatch gateway on " + config.internalHost() + ":" + internal.port()
                    + "; " + models.describe());
            return new WorkerService(internal, worker, runtime, agentsTail, smcpTail, smcp, commands,
                    List.of(requestLetters, agentLetters, commandLetters, smcpLetters), opened);
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
     * True while the worker can do its work: its request consumer's loop runs, and the tails of the commands (cancels),
     * the agents (workflow steps that name their agent) and the SMCP sessions are reading.
     */
    public boolean healthy() {
        return worker.running() && commands.tail().health().isUp() && agentsTail.health().isUp()
                && smcpTail.health().isUp();
    }

    /** The worker's SMCP counts, for the process's {@code /metrics}. */
    public List<MetricFamily> metricFamilies() {
        return smcp.metrics().families();
    }

    /**
     * The parts of this worker as readiness reports them: {@code worker} (the request consumer) and its tails
     * ({@code tail.worker-agents}, {@code tail.worker-commands}, {@code tail.worker-smcp-sessions}) with their lag.
     */
    public Map<String, HealthCheck> health() {
        Map<String, HealthCheck> parts = new LinkedHashMap<>();
        parts.put("worker", () -> ComponentHealth.of(worker.running())
                .with("active_executions", worker.active()));
        parts.put(TopicTail.healthName(AGENTS_TAIL), agentsTail);
        parts.put(TopicTail.healthName(CommandListener.TAIL), commands.tail());
        parts.put(TopicTail.healthName(SMCP_TAIL), smcpTail);
        return parts;
    }

    /** Dead letters its tails wrote since the start, by consumer. */
    public Map<String, Long> deadLetters() {
        Map<String, Long> counts = new LinkedHashMap<>();
        deadLetters.forEach(l -> counts.put(l.consumer(), l.written()));
        return counts;
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
