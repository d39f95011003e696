package ai.aegis.ingress;

import ai.aegis.ingress.agents.AgentRoutes;
import ai.aegis.ingress.agents.AgentService;
import ai.aegis.ingress.auth.AuthFilter;
import ai.aegis.ingress.auth.LocalApiToken;
import ai.aegis.ingress.executions.ExecutionRoutes;
import ai.aegis.ingress.executions.ExecutionService;
import ai.aegis.ingress.health.HealthRoutes;
import ai.aegis.ingress.health.HttpMetricsFilter;
import ai.aegis.ingress.health.KafkaHealth;
import ai.aegis.ingress.health.Metrics;
import ai.aegis.ingress.http.ErrorHandling;
import ai.aegis.ingress.http.EventStream;
import ai.aegis.ingress.registry.RegistryWriter;
import ai.aegis.ingress.workflows.WorkflowRoutes;
import ai.aegis.ingress.workflows.WorkflowService;
import ai.aegis.schemas.execution.ExecutionRequest;
import ai.aegis.schemas.json.Json;
import ai.aegis.schemas.topic.TopicCatalog;
import ai.aegis.schemas.workflow.WorkflowCommand;
import ai.aegis.topology.admin.TopicInstaller;
import ai.aegis.topology.agents.AgentRegistryView;
import ai.aegis.topology.executions.ExecutionReadModel;
import ai.aegis.topology.kafka.DurablePublisher;
import ai.aegis.topology.kafka.KafkaSettings;
import ai.aegis.topology.tail.TopicTail;
import ai.aegis.topology.workflow.WorkflowReadModel;
import ai.aegis.topology.workflow.WorkflowRegistryView;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.HttpService;
import org.apache.kafka.clients.admin.Admin;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The public HTTP API on one node: validates, writes to Kafka, answers once the write is durable, and serves reads
 * and streams from one shared tail of the topics.
 */
public final class IngressServer implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(IngressServer.class.getName());

    private final WebServer server;
    private final TopicTail tail;
    private final DurablePublisher publisher;
    private final Admin admin;
    private final LocalApiToken token;

    private IngressServer(WebServer server, TopicTail tail, DurablePublisher publisher, Admin admin,
                          LocalApiToken token) {
        this.server = server;
        this.tail = tail;
        this.publisher = publisher;
        this.admin = admin;
        this.token = token;
    }

    public static IngressServer start(IngressConfig config, KafkaSettings kafka) {
        return start(config, kafka, Map.of(), Map.of());
    }

    /**
     * @param extraRoutes routes of services composed into this node (the approval service's, under
     *                    {@code aegis up}), by path prefix; they sit behind the same authentication
     * @param components  readiness of services composed into this process, reported by {@code /health/ready}
     */
    public static IngressServer start(IngressConfig config, KafkaSettings kafka, Map<String, HttpService> extraRoutes,
                                      Map<String, java.util.function.BooleanSupplier> components) {
        TopicCatalog topics = kafka.topics();
        Admin admin = Admin.create(kafka.admin());
        TopicInstaller.ensure(admin, topics.all(), kafka.replicationFactor(), Duration.ofSeconds(60));

        AgentRegistryView agents = new AgentRegistryView();
        ExecutionReadModel executions = new ExecutionReadModel(config.maxExecutionsInMemory());
        String agentsTopic = topics.agents().name();
        String requestsTopic = topics.executionRequests().name();
        String eventsTopic = topics.executionEvents().name();
        WorkflowRegistryView workflows = new WorkflowRegistryView();
        WorkflowReadModel workflowRuns = new WorkflowReadModel(config.maxExecutionsInMemory());
        String workflowsTopic = topics.workflows().name();
        String workflowCommandsTopic = topics.workflowCommands().name();
        String workflowEventsTopic = topics.workflowEvents().name();
        TopicTail tail = new TopicTail("ingress", kafka, List.of(agentsTopic, requestsTopic, eventsTopic,
                workflowsTopic, workflowCommandsTopic, workflowEventsTopic), record -> {
            String topic = record.topic();
            if (topic.equals(agentsTopic)) {
                agents.onRecord(record.key(), record.value());
            } else if (topic.equals(requestsTopic)) {
                executions.onRequest(Json.read(record.value(), ExecutionRequest.class));
            } else if (topic.equals(eventsTopic)) {
                executions.onEvent(record.key(), record.offset(), record.value());
            } else if (topic.equals(workflowsTopic)) {
                workflows.onRecord(record.key(), record.value());
            } else if (topic.equals(workflowCommandsTopic)) {
                workflowRuns.onCommand(Json.read(record.value(), WorkflowCommand.class));
            } else {
                workflowRuns.onEvent(record.key(), record.offset(), record.value());
            }
        }).start();

        DurablePublisher publisher = new DurablePublisher(kafka, DurablePublisher.sourceOf("ingress"));
        Metrics metrics = new Metrics();
        EventStream stream = new EventStream(executions, "Execution not found", config.sseHeartbeat(),
                config.sseQueueCapacity());
        metrics.gauge("aegis_sse_streams_open", "Open execution event streams on this node.", stream::openStreams);
        metrics.gauge("aegis_executions_in_view", "Executions held in this node's view.", executions::size);
        metrics.gauge("aegis_workflow_executions_in_view", "Workflow executions held in this node's view.",
                workflowRuns::size);
        metrics.gauge("aegis_views_caught_up", "1 when this node has read the topics up to where they were at start.",
                () -> tail.isCaughtUp() ? 1 : 0);

        AgentService agentService = new AgentService(
                new RegistryWriter(publisher, tail, agentsTopic, config.readYourWrites()), agents);
        WorkflowService workflowService = new WorkflowService(
                new RegistryWriter(publisher, tail, workflowsTopic, config.readYourWrites()), workflows, agents,
                workflowRuns, publisher, workflowCommandsTopic);
        EventStream workflowStream = new EventStream(workflowRuns, "Workflow execution not found",
                config.sseHeartbeat(), config.sseQueueCapacity());
        ExecutionService executionService = new ExecutionService(publisher, agents, executions, requestsTopic,
                topics.executionCommands().name());
        Runnable awaitViews = () -> awaitCaughtUp(tail, Duration.ofSeconds(5));
        // Serve only once this node has read what the topics held, so that the first reads are not empty.
        if (!awaitCaughtUp(tail, Duration.ofSeconds(30))) {
            LOG.log(System.Logger.Level.WARNING, "the ingress starts before its views have read the topics "
                    + "(Kafka slow or unreachable); reads may be incomplete until /health/ready says ready");
        }
        KafkaHealth kafkaHealth = new KafkaHealth(admin, Duration.ofSeconds(2), Duration.ofSeconds(2));

        LocalApiToken token = null;
        HttpRouting.Builder routing = HttpRouting.builder();
        ErrorHandling.install(routing);
        routing.addFilter(new HttpMetricsFilter(metrics));
        if ("none".equals(config.authMode())) {
            LOG.log(System.Logger.Level.WARNING, "AUTHENTICATION IS OFF (aegis.auth.mode=none): anyone who can reach "
                    + "port " + config.port() + " can deploy and run agents");
        } else {
            token = LocalApiToken.loadOrCreate(config.dataDir());
            routing.addFilter(new AuthFilter(token, Set.of("/health")));
        }
        HealthRoutes.install(routing, kafkaHealth, tail::isCaughtUp, metrics, components);
        routing.register("/v1/agents", new AgentRoutes(agentService, agents, awaitViews));
        routing.register("/v1/executions", new ExecutionRoutes(executionService, executions, stream, awaitViews));
        routing.register("/v1/workflows", new WorkflowRoutes(workflowService, workflows, workflowRuns,
                workflowStream, awaitViews));
        extraRoutes.forEach(routing::register);
        ErrorHandling.notFound(routing);

        WebServer server = WebServer.builder()
                .host(config.host())
                .port(config.port())
                .maxPayloadSize(config.maxBodyBytes())
                .directHandlers(ErrorHandling.directHandlers())
                .shutdownGracePeriod(Duration.ofSeconds(2))
                .routing(routing)
                .build()
                .start();
        return new IngressServer(server, tail, publisher, admin, token);
    }

    private static boolean awaitCaughtUp(TopicTail tail, Duration timeout) {
        try {
            return tail.awaitCaughtUp(timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    public int port() {
        return server.port();
    }

    /** The local API token file, or null when authentication is off. */
    public Path tokenFile() {
        return token == null ? null : token.file();
    }

    @Override
    public void close() {
        server.stop();
        tail.close();
        publisher.close();
        admin.close(Duration.ofSeconds(2));
    }
}
