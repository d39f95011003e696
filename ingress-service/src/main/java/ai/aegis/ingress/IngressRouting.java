package ai.aegis.ingress;

import ai.aegis.http.ErrorHandling;
import ai.aegis.ingress.agents.AgentRoutes;
import ai.aegis.ingress.agents.AgentService;
import ai.aegis.ingress.auth.AuthFilter;
import ai.aegis.ingress.auth.Authenticator;
import ai.aegis.ingress.console.ConsoleOidc;
import ai.aegis.ingress.console.ConsoleOidcSettings;
import ai.aegis.ingress.console.ConsoleRoutes;
import ai.aegis.ingress.console.HttpIdentityProvider;
import ai.aegis.ingress.console.PendingLogins;
import ai.aegis.ingress.deadletters.DeadLetterRoutes;
import ai.aegis.ingress.deadletters.DeadLetterView;
import ai.aegis.ingress.executions.ExecutionAdmission;
import ai.aegis.ingress.executions.ExecutionRoutes;
import ai.aegis.ingress.executions.ExecutionService;
import ai.aegis.ingress.health.HealthRoutes;
import ai.aegis.ingress.health.HttpMetricsFilter;
import ai.aegis.ingress.health.Metrics;
import ai.aegis.ingress.health.Readiness;
import ai.aegis.ingress.http.ConcurrencyLimitFilter;
import ai.aegis.ingress.stimuli.StimulusIntake;
import ai.aegis.ingress.stimuli.StimulusIntakeRoutes;
import ai.aegis.ingress.stimuli.StimulusRouteRoutes;
import ai.aegis.ingress.stimuli.StimulusViewRoutes;
import ai.aegis.ingress.webhook.BoundedSeenSignatures;
import ai.aegis.ingress.webhook.WebhookVerifier;
import ai.aegis.schemas.stimulus.StimulusReply;
import ai.aegis.topology.reply.ReplyWaiter;
import ai.aegis.topology.serde.WireReaders;
import ai.aegis.ingress.stream.EventStream;
import ai.aegis.ingress.stream.StreamRoute;
import ai.aegis.ingress.registry.RegistryWriter;
import ai.aegis.ingress.workflows.WorkflowRoutes;
import ai.aegis.ingress.workflows.WorkflowService;
import ai.aegis.schemas.topic.TopicCatalog;
import ai.aegis.topology.kafka.RecordPublisher;
import ai.aegis.topology.readmodel.EventHistory;
import ai.aegis.topology.tail.TopicTail;
import ai.aegis.topology.tail.ViewProgress;
import io.helidon.common.concurrency.limits.FixedLimit;
import io.helidon.webserver.http.HttpRouting;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The public API's routes, built from parts that already exist: the node's views, something that publishes and
 * something that tells how far the views have read. {@link IngressServer#start} hands it Kafka's; tests hand it
 * in-memory ones and serve the routing without a socket.
 */
public final class IngressRouting {

    /** How readiness names tails ({@code TopicTail.healthName}). */
    private static final String TAIL_PREFIX = TopicTail.healthName("");

    private final IngressConfig config;
    private final Authenticator token;
    private final Metrics metrics = new Metrics();
    private final AgentRoutes agentRoutes;
    private final ExecutionRoutes executionRoutes;
    private final WorkflowRoutes workflowRoutes;
    private final DeadLetterRoutes deadLetterRoutes;
    private final StimulusRouteRoutes stimulusRouteRoutes;
    private final StimulusIntakeRoutes stimulusIntake;
    private final StimulusViewRoutes stimulusViewRoutes;
    private final ReplyWaiter<StimulusReply> stimulusReplies;
    private final List<StreamRoute> streamRoutes;
    private final Runnable awaitViews;

    /**
     * @param deadLetters the node's view of recent dead letters, for {@code GET /v1/dead-letters}
     * @param topics      where the routes write (the same catalogue the views are read from)
     * @param publisher   every write of the routes goes through it
     * @param progress    how far {@code views} have read: reads and registry writes wait on it (bounded by
     *                    {@code config})
     * @param history     where streams read back the events {@code views} no longer hold in memory
     * @param token       who may call (the local API token, OIDC tokens), every route but the probes; null when
     *                    authentication is off
     */
    public IngressRouting(IngressConfig config, TopicCatalog topics, IngressViews views, DeadLetterView deadLetters,
                          RecordPublisher publisher, ViewProgress progress, EventHistory history,
                          Authenticator token) {
        this.config = config;
        this.token = token;
        this.streamRoutes = List.of(
                new StreamRoute("/v1/executions/", views.executions(), views.executionEventsTopic(),
                        "Invalid execution ID", "Execution not found"),
                new StreamRoute("/v1/workflows/executions/", views.workflowRuns(), views.workflowEventsTopic(),
                        "Invalid workflow execution ID", "Workflow execution not found"));
        EventStream executionStream = new EventStream(streamRoutes.get(0), history, config.sseHeartbeat(), metrics);
        EventStream workflowStream = new EventStream(streamRoutes.get(1), history, config.sseHeartbeat(), metrics);
        metrics.gauge("aegis_sse_streams_open", "Open execution event streams on this node.",
                executionStream::openStreams);
        metrics.gauge("aegis_executions_in_view", "Executions held in this node's view.", views.executions()::size);
        metrics.gauge("aegis_executions_pending", "Executions accepted and not started yet (the workers' backlog that "
                + "admission control bounds), as this node's view counts them.", views.executions()::pending);
        metrics.gauge("aegis_execution_events_in_memory_bytes", "Bytes of execution events this node's view holds "
                + "(bounded by aegis.ingress.event-history-bytes; older events are read back from the topic).",
                views.executions()::retainedBytes);
        metrics.gauge("aegis_workflow_events_in_memory_bytes", "Bytes of workflow events this node's view holds.",
                views.workflowRuns()::retainedBytes);
        metrics.gauge("aegis_workflow_executions_in_view", "Workflow executions held in this node's view.",
                views.workflowRuns()::size);
        metrics.gauge("aegis_views_caught_up", "1 when this node has read the topics up to where they were at start.",
                () -> progress.isCaughtUp() ? 1 : 0);
        metrics.gauge("aegis_dead_letters_in_view", "Recent dead letters held in this node's view.",
                deadLetters::size);
        metrics.family("aegis_dead_letters_unreadable_total", "Records on the dead-letter topic that were not dead "
                + "letters (logged and skipped).", true, "tail", () -> Map.of(DeadLetterView.TAIL,
                deadLetters.unreadable()));

        Runnable awaitViews = () -> awaitCaughtUp(progress, config.readSyncTimeout());
        this.awaitViews = awaitViews;
        AgentService agentService = new AgentService(new RegistryWriter(publisher, progress, topics.agents().name(),
                config.readYourWrites()), views.agents());
        WorkflowService workflowService = new WorkflowService(new RegistryWriter(publisher, progress,
                topics.workflows().name(), config.readYourWrites()), views.workflows(), views.agents(),
                views.workflowRuns(), publisher, topics.workflowCommands().name());
        ExecutionService executionService = new ExecutionService(publisher, views.agents(), views.executions(),
                topics.executionRequests().name(), topics.executionCommands().name(),
                new ExecutionAdmission(config.maxPendingExecutions(), config.maxPendingPerAgent()));
        this.agentRoutes = new AgentRoutes(agentService, views.agents(), awaitViews);
        this.executionRoutes = new ExecutionRoutes(executionService, views.executions(), executionStream, awaitViews);
        this.workflowRoutes = new WorkflowRoutes(workflowService, views.workflows(), views.workflowRuns(),
                workflowStream, awaitViews);
        this.deadLetterRoutes = new DeadLetterRoutes(deadLetters);
        this.stimulusReplies = new ReplyWaiter<>(config.nodeId(), WireReaders.STIMULUS_REPLY,
                StimulusReply::correlationId);
        BoundedSeenSignatures seen = new BoundedSeenSignatures(config.webhooks().replayGuardEntries());
        metrics.gauge("aegis_webhook_replay_guard_entries", "Accepted timestamped webhook signatures this node "
                + "remembers until their window ends (bounded by aegis.webhooks.replay-guard-entries).", seen::size);
        metrics.gauge("aegis_webhook_replay_guard_dropped_early", "Signatures the replay guard forgot before their "
                + "window ended because it was full (each could be replayed on this node).", seen::droppedEarly);
        StimulusIntake intake = new StimulusIntake(publisher, topics.stimulusRequests().name(), stimulusReplies,
                config.nodeId(), config.stimulusReplyTimeout(), java.time.Clock.systemUTC());
        this.stimulusIntake = new StimulusIntakeRoutes(intake, new WebhookVerifier(config.webhooks(), System::getenv,
                java.time.Clock.systemUTC(), seen),
                config.stimulusRateLimit(), config.stimulusRateLimits(), metrics);
        this.stimulusViewRoutes = new StimulusViewRoutes(views.stimuli(), views.workflowRuns(), history,
                topics.stimulusRequests().name(), intake, stimulusIntake);
        this.stimulusRouteRoutes = new StimulusRouteRoutes(
                new RegistryWriter(publisher, progress, topics.stimulusRoutes().name(), config.readYourWrites()),
                new RegistryWriter(publisher, progress, topics.stimulusRouter().name(), config.readYourWrites()),
                views.stimulusRoutes(), views.workflows(), views.agents(), awaitViews, java.time.Clock.systemUTC());
    }

    /** The event streams, for the stream listener: the same ones the public listener serves. */
    public List<StreamRoute> streamRoutes() {
        return streamRoutes;
    }

    /** What a read waits for before it is served: the views having read the topics (bounded). */
    public Runnable awaitViews() {
        return awaitViews;
    }

    /** The calls waiting for a stimulus's answer: the node's tail of the stimulus replies topic feeds it. */
    public ReplyWaiter<StimulusReply> stimulusReplies() {
        return stimulusReplies;
    }

    /** Writes the configured stimulus routes the route table lacks (at a start, once the views read the topics). */
    public void applyConfiguredStimulusRoutes() throws ai.aegis.topology.kafka.DurablePublisher.UnavailableException {
        stimulusRouteRoutes.applyConfigured(config.stimulusRoutes());
    }

    /** The node's metrics, which {@code /metrics} renders: the stream listener adds its own. */
    public Metrics metrics() {
        return metrics;
    }

    /** The node's own routes only, with this readiness. */
    public void routing(HttpRouting.Builder routing, Readiness readiness) {
        routing(routing, ComposedServices.none(), readiness);
    }

    /**
     * The public listener's routes. {@code /health} and {@code /health/ready} need no token; {@code /metrics} is
     * served here, behind the token, unless the configuration gives it a management listener
     * ({@link #managementRouting}). Every request but the streams and the probes counts against
     * {@code max-concurrent-requests} ({@link ConcurrencyLimitFilter}), the composed services' too.
     *
     * @param composed  the routes of services composed into this node, behind the same authentication and error
     *                  handling as the node's own, and their dead letter counts for the metrics
     * @param readiness every component of the process (the node's own and the composed services'), for
     *                  {@code /health/ready} and the metrics
     */
    public void routing(HttpRouting.Builder routing, ComposedServices composed, Readiness readiness) {
        registerMetrics(composed, readiness);
        ErrorHandling.install(routing);
        routing.addFilter(new HttpMetricsFilter(metrics));
        // Before authentication, so that a refusal costs as little as possible; after the metrics, which count it.
        if (config.concurrencyLimited()) {
            routing.addFilter(new ConcurrencyLimitFilter(FixedLimit.builder()
                    .name("ingress")
                    .permits(config.maxConcurrentRequests())
                    .queueLength(config.concurrentQueue())
                    .queueTimeout(config.concurrentQueueTimeout())
                    .build(), config.concurrentQueue() > 0, HealthRoutes.OPEN_PATHS, metrics));
        }
        if (token != null) {
            // webhooks carry an HMAC signature instead of the token: the route checks it over the raw body
            routing.addFilter(new AuthFilter(token, HealthRoutes.OPEN_PATHS,
                    java.util.Set.of(StimulusIntakeRoutes.WEBHOOKS_PATH + "/")));
        }
        HealthRoutes.installProbes(routing, readiness);
        if (!config.managementListener()) {
            HealthRoutes.installMetrics(routing, metrics);
        }
        routing.register("/v1/agents", agentRoutes);
        routing.register("/v1/executions", executionRoutes);
        routing.register("/v1/workflows", workflowRoutes);
        routing.register(DeadLetterRoutes.PATH, deadLetterRoutes);
        // the route tables first: "/{id}" of the view would take "/routes" and "/router" otherwise
        routing.register("/v1/stimuli", stimulusRouteRoutes, stimulusIntake.stimuli(), stimulusViewRoutes);
        routing.register(StimulusIntakeRoutes.WEBHOOKS_PATH, stimulusIntake.webhooks());
        composed.routes().forEach(routing::register);
        new ConsoleRoutes(token, consoleOidc()).register(routing);
        ErrorHandling.notFound(routing);
    }

    /** The console's OIDC login when configured, and when there is authentication at all (else nothing to log in). */
    private ConsoleOidc consoleOidc() {
        ConsoleOidcSettings settings = config.consoleOidc();
        if (!settings.configured() || token == null) {
            return null;
        }
        return new ConsoleOidc(settings, new HttpIdentityProvider(settings.issuer()), token,
                new PendingLogins(PendingLogins.DEFAULT_CAPACITY, PendingLogins.DEFAULT_TTL,
                        java.time.Clock.systemUTC()));
    }

    /**
     * The management listener's routes: {@code /metrics} and the probes, with no token. It binds
     * {@code aegis.ingress.management-host} (loopback unless configured), for a monitoring network only.
     */
    public void managementRouting(HttpRouting.Builder routing, Readiness readiness) {
        ErrorHandling.install(routing);
        HealthRoutes.installProbes(routing, readiness);
        HealthRoutes.installMetrics(routing, metrics);
        ErrorHandling.notFound(routing);
    }

    /** Per consumer its dead letters, per component whether it is up, per tail its lag: read when rendered. */
    private void registerMetrics(ComposedServices composed, Readiness readiness) {
        composed.metrics().forEach(f -> metrics.family(f.name(), f.help(), f.counter(), f.label(), f.values()));
        metrics.family("aegis_dead_letters_total", "Records dead-lettered by each consumer of this process since "
                + "it started.", true, "consumer", () -> {
                    Map<String, Long> all = new TreeMap<>();
                    composed.deadLetters().forEach(counts -> all.putAll(counts.get()));
                    return all;
                });
        metrics.family("aegis_component_up", "1 when the component is up (as /health/ready reports it), else 0.",
                false, "component", () -> {
                    Map<String, Integer> up = new TreeMap<>();
                    readiness.states().forEach((name, health) -> up.put(name, health.isUp() ? 1 : 0));
                    return up;
                });
        metrics.family("aegis_tail_lag", "Records a tail was behind the end of its topics at its last check "
                + "(-1 before the first).", false, "tail", () -> {
                    Map<String, Long> lags = new TreeMap<>();
                    readiness.states().forEach((name, health) -> {
                        if (name.startsWith(TAIL_PREFIX) && health.details().get("lag") instanceof Number lag) {
                            lags.put(name.substring(TAIL_PREFIX.length()), lag.longValue());
                        }
                    });
                    return lags;
                });
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
