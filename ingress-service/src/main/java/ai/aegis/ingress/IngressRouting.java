package ai.aegis.ingress;

import ai.aegis.http.ErrorHandling;
import ai.aegis.ingress.agents.AgentRoutes;
import ai.aegis.ingress.agents.AgentService;
import ai.aegis.ingress.auth.AuthFilter;
import ai.aegis.ingress.auth.LocalApiToken;
import ai.aegis.ingress.executions.ExecutionRoutes;
import ai.aegis.ingress.executions.ExecutionService;
import ai.aegis.ingress.health.HealthRoutes;
import ai.aegis.ingress.health.HttpMetricsFilter;
import ai.aegis.ingress.health.Metrics;
import ai.aegis.ingress.http.EventStream;
import ai.aegis.ingress.registry.RegistryWriter;
import ai.aegis.ingress.workflows.WorkflowRoutes;
import ai.aegis.ingress.workflows.WorkflowService;
import ai.aegis.schemas.topic.TopicCatalog;
import ai.aegis.topology.kafka.RecordPublisher;
import ai.aegis.topology.readmodel.EventHistory;
import ai.aegis.topology.tail.ViewProgress;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.HttpService;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;

/**
 * The public API's routes, built from parts that already exist: the node's views, something that publishes and
 * something that tells how far the views have read. {@link IngressServer#start} hands it Kafka's; tests hand it
 * in-memory ones and serve the routing without a socket.
 */
public final class IngressRouting {

    private final ViewProgress progress;
    private final BooleanSupplier kafkaUp;
    private final LocalApiToken token;
    private final Metrics metrics = new Metrics();
    private final AgentRoutes agentRoutes;
    private final ExecutionRoutes executionRoutes;
    private final WorkflowRoutes workflowRoutes;

    /**
     * @param topics    where the routes write (the same catalogue the views are read from)
     * @param publisher every write of the routes goes through it
     * @param progress  how far {@code views} have read: reads and registry writes wait on it (bounded by
     *                  {@code config})
     * @param history   where streams read back the events {@code views} no longer hold in memory
     * @param kafkaUp   whether Kafka answers, for {@code /health/ready}
     * @param token     the local API token every route but {@code /health} requires; null when authentication is
     *                  off
     */
    public IngressRouting(IngressConfig config, TopicCatalog topics, IngressViews views, RecordPublisher publisher,
                          ViewProgress progress, EventHistory history, BooleanSupplier kafkaUp,
                          LocalApiToken token) {
        this.progress = progress;
        this.kafkaUp = kafkaUp;
        this.token = token;
        EventStream executionStream = new EventStream(views.executions(), views.executionEventsTopic(), history,
                "Execution not found", config.sseHeartbeat(), metrics);
        EventStream workflowStream = new EventStream(views.workflowRuns(), views.workflowEventsTopic(), history,
                "Workflow execution not found", config.sseHeartbeat(), metrics);
        metrics.gauge("aegis_sse_streams_open", "Open execution event streams on this node.",
                executionStream::openStreams);
        metrics.gauge("aegis_executions_in_view", "Executions held in this node's view.", views.executions()::size);
        metrics.gauge("aegis_execution_events_in_memory_bytes", "Bytes of execution events this node's view holds "
                + "(bounded by aegis.ingress.event-history-bytes; older events are read back from the topic).",
                views.executions()::retainedBytes);
        metrics.gauge("aegis_workflow_events_in_memory_bytes", "Bytes of workflow events this node's view holds.",
                views.workflowRuns()::retainedBytes);
        metrics.gauge("aegis_workflow_executions_in_view", "Workflow executions held in this node's view.",
                views.workflowRuns()::size);
        metrics.gauge("aegis_views_caught_up", "1 when this node has read the topics up to where they were at start.",
                () -> progress.isCaughtUp() ? 1 : 0);

        Runnable awaitViews = () -> awaitCaughtUp(progress, config.readSyncTimeout());
        AgentService agentService = new AgentService(new RegistryWriter(publisher, progress, topics.agents().name(),
                config.readYourWrites()), views.agents());
        WorkflowService workflowService = new WorkflowService(new RegistryWriter(publisher, progress,
                topics.workflows().name(), config.readYourWrites()), views.workflows(), views.agents(),
                views.workflowRuns(), publisher, topics.workflowCommands().name());
        ExecutionService executionService = new ExecutionService(publisher, views.agents(), views.executions(),
                topics.executionRequests().name(), topics.executionCommands().name());
        this.agentRoutes = new AgentRoutes(agentService, views.agents(), awaitViews);
        this.executionRoutes = new ExecutionRoutes(executionService, views.executions(), executionStream, awaitViews);
        this.workflowRoutes = new WorkflowRoutes(workflowService, views.workflows(), views.workflowRuns(),
                workflowStream, awaitViews);
    }

    /** The node's own routes only. */
    public void routing(HttpRouting.Builder routing) {
        routing(routing, Map.of(), Map.of());
    }

    /**
     * @param extraRoutes routes of services composed into this node, by path prefix; behind the same
     *                    authentication and error handling as the node's own
     * @param components  readiness of services composed into this process, reported by {@code /health/ready}
     */
    public void routing(HttpRouting.Builder routing, Map<String, HttpService> extraRoutes,
                        Map<String, BooleanSupplier> components) {
        ErrorHandling.install(routing);
        routing.addFilter(new HttpMetricsFilter(metrics));
        if (token != null) {
            routing.addFilter(new AuthFilter(token, Set.of("/health")));
        }
        HealthRoutes.install(routing, kafkaUp, progress::isCaughtUp, metrics, components);
        routing.register("/v1/agents", agentRoutes);
        routing.register("/v1/executions", executionRoutes);
        routing.register("/v1/workflows", workflowRoutes);
        extraRoutes.forEach(routing::register);
        ErrorHandling.notFound(routing);
    }

    /** @return false when the time ran out (or the wait was interrupted): the caller serves what the views hold */
    static boolean awaitCaughtUp(ViewProgress progress, Duration timeout) {
        try {
            return progress.awaitCaughtUp(timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
