package ai.aegis.ingress.stimuli;

import ai.aegis.schemas.stimulus.StimulusSources;
import ai.aegis.http.Api;
import ai.aegis.http.JsonBodies;
import ai.aegis.ingress.registry.RegistryWriter;
import ai.aegis.schemas.json.Json;
import ai.aegis.schemas.Ids;
import ai.aegis.schemas.stimulus.StimulusRoute;
import ai.aegis.schemas.stimulus.StimulusRouter;
import ai.aegis.topology.agents.AgentRegistryView;
import ai.aegis.schemas.topic.CloudEventHeaders;
import ai.aegis.topology.kafka.DurablePublisher;
import ai.aegis.topology.stimulus.StimulusRoutingTable;
import ai.aegis.topology.workflow.WorkflowRegistryView;
import com.fasterxml.jackson.databind.JsonNode;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.time.Clock;
import java.util.Map;
import java.util.Optional;

/**
 * What routes a stimulus, under {@code /v1/stimuli}: the direct route table (source -> workflow) at
 * {@code /routes} and the RouterAgent at {@code /router}, each on a compacted topic so that every node and the
 * routing stage read the same. {@code PUT /routes/{source}} with {@code {"workflow": name}} sets a route (the
 * workflow must be registered: else {@code 422 unknown_workflow}), {@code DELETE} removes it, {@code GET} lists them
 * or shows one. Source names match case-insensitively and are stored lower-cased. {@code PUT /router} with
 * {@code {"agent_id", "confidence_threshold" (0.7), "timeout_seconds" (30)}} sets the router (the agent must be
 * deployed: else {@code 422 unknown_agent}). Errors are {@code {"error": code, "message": text}}, as the stimulus
 * routes answer.
 */
public final class StimulusRouteRoutes implements HttpService {

    public static final String SET_TYPE = CloudEventHeaders.type("stimulus", "route_set");
    public static final String REMOVED_TYPE = CloudEventHeaders.type("stimulus", "route_removed");
    public static final String ROUTER_SET_TYPE = CloudEventHeaders.type("stimulus", "router_set");
    public static final String ROUTER_REMOVED_TYPE = CloudEventHeaders.type("stimulus", "router_removed");

    private static final System.Logger LOG = System.getLogger(StimulusRouteRoutes.class.getName());

    private final RegistryWriter writer;
    private final RegistryWriter routerWriter;
    private final StimulusRoutingTable routes;
    private final WorkflowRegistryView workflows;
    private final AgentRegistryView agents;
    private final Runnable awaitViews;
    private final Clock clock;

    /**
     * @param writer       writes the routes topic
     * @param routerWriter writes the router topic
     */
    public StimulusRouteRoutes(RegistryWriter writer, RegistryWriter routerWriter, StimulusRoutingTable routes,
                               WorkflowRegistryView workflows, AgentRegistryView agents, Runnable awaitViews,
                               Clock clock) {
        this.writer = writer;
        this.routerWriter = routerWriter;
        this.agents = agents;
        this.routes = routes;
        this.workflows = workflows;
        this.awaitViews = awaitViews;
        this.clock = clock;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/routes", (req, res) -> {
                    awaitViews.run();
                    Api.ok(res, routes.all());
                })
                .get("/routes/{source}", this::get)
                .put("/routes/{source}", this::put)
                .delete("/routes/{source}", this::delete)
                .get("/router", this::getRouter)
                .put("/router", this::putRouter)
                .delete("/router", this::deleteRouter);
    }

    private void get(ServerRequest req, ServerResponse res) {
        Optional<String> source = source(req, res);
        if (source.isEmpty()) {
            return;
        }
        awaitViews.run();
        routes.get(source.get()).ifPresentOrElse(r -> Api.ok(res, r), () -> notFound(res, source.get()));
    }

    private void put(ServerRequest req, ServerResponse res) {
        Optional<String> source = source(req, res);
        if (source.isEmpty()) {
            return;
        }
        JsonNode body = JsonBodies.object(Api.body(req));
        JsonNode workflow = body.get("workflow");
        if (workflow == null || !workflow.isTextual() || workflow.asText().isBlank()) {
            Api.coded(res, 400, "invalid_route", "The body must be {\"workflow\": \"<workflow name>\"}");
            return;
        }
        awaitViews.run();
        String name = workflow.asText().trim();
        if (workflows.get(name).isEmpty()) {
            Api.coded(res, 422, "unknown_workflow", "No workflow named '" + name + "' is registered");
            return;
        }
        StimulusRoute route = new StimulusRoute(source.get(), name,
                clock.instant().truncatedTo(java.time.temporal.ChronoUnit.MILLIS));
        try {
            writer.write(route.source(), Json.writeBytes(route), SET_TYPE);
            Api.ok(res, route);
        } catch (DurablePublisher.UnavailableException e) {
            Api.unavailable(res);
        }
    }

    private void delete(ServerRequest req, ServerResponse res) {
        Optional<String> source = source(req, res);
        if (source.isEmpty()) {
            return;
        }
        awaitViews.run();
        if (routes.get(source.get()).isEmpty()) {
            notFound(res, source.get());
            return;
        }
        try {
            writer.write(source.get(), null, REMOVED_TYPE);
            Api.ok(res, Map.of("source", source.get(), "removed", true));
        } catch (DurablePublisher.UnavailableException e) {
            Api.unavailable(res);
        }
    }

    /**
     * Writes each configured route the table lacks, or holds with another workflow (at a start, once the views have
     * read the topics). A route to a workflow not registered (yet) is written too, with a warning: stimuli of that
     * source are answered {@code unknown_workflow} until it is.
     *
     * @param configured source (normalised) -> workflow name
     */
    public void applyConfigured(Map<String, String> configured) throws DurablePublisher.UnavailableException {
        for (Map.Entry<String, String> route : configured.entrySet()) {
            Optional<StimulusRoute> current = routes.get(route.getKey());
            if (current.isPresent() && current.get().workflow().equals(route.getValue())) {
                continue;
            }
            if (workflows.get(route.getValue()).isEmpty()) {
                LOG.log(System.Logger.Level.WARNING, "configured stimulus route " + route.getKey() + " -> "
                        + route.getValue() + ": no such workflow is registered yet");
            }
            StimulusRoute set = new StimulusRoute(route.getKey(), route.getValue(),
                    clock.instant().truncatedTo(java.time.temporal.ChronoUnit.MILLIS));
            writer.write(set.source(), Json.writeBytes(set), SET_TYPE);
        }
    }

    private void getRouter(ServerRequest req, ServerResponse res) {
        awaitViews.run();
        routes.router().ifPresentOrElse(r -> Api.ok(res, r), () -> noRouter(res));
    }

    private void putRouter(ServerRequest req, ServerResponse res) {
        JsonNode body = JsonBodies.object(Api.body(req));
        JsonNode agentId = body.get("agent_id");
        if (agentId == null || !agentId.isTextual() || !Ids.isUuid(agentId.asText())) {
            Api.coded(res, 400, "invalid_router", "agent_id must be an agent's id (UUID)");
            return;
        }
        JsonNode threshold = body.get("confidence_threshold");
        JsonNode timeout = body.get("timeout_seconds");
        if ((threshold != null && !threshold.isNumber()) || (timeout != null && !timeout.canConvertToExactIntegral())) {
            Api.coded(res, 400, "invalid_router", "confidence_threshold must be a number, timeout_seconds an integer");
            return;
        }
        StimulusRouter router;
        try {
            router = new StimulusRouter(agentId.asText().toLowerCase(java.util.Locale.ROOT),
                    threshold == null ? StimulusRouter.DEFAULT_CONFIDENCE_THRESHOLD : threshold.asDouble(),
                    timeout == null ? StimulusRouter.DEFAULT_TIMEOUT_SECONDS : timeout.asInt(),
                    clock.instant().truncatedTo(java.time.temporal.ChronoUnit.MILLIS));
        } catch (IllegalArgumentException e) {
            Api.coded(res, 400, "invalid_router", e.getMessage());
            return;
        }
        awaitViews.run();
        if (agents.get(router.agentId()).isEmpty()) {
            Api.coded(res, 422, "unknown_agent", "No agent with id " + router.agentId() + " is deployed");
            return;
        }
        try {
            routerWriter.write(StimulusRouter.KEY, Json.writeBytes(router), ROUTER_SET_TYPE);
            Api.ok(res, router);
        } catch (DurablePublisher.UnavailableException e) {
            Api.unavailable(res);
        }
    }

    private void deleteRouter(ServerRequest req, ServerResponse res) {
        awaitViews.run();
        if (routes.router().isEmpty()) {
            noRouter(res);
            return;
        }
        try {
            routerWriter.write(StimulusRouter.KEY, null, ROUTER_REMOVED_TYPE);
            Api.ok(res, Map.of("removed", true));
        } catch (DurablePublisher.UnavailableException e) {
            Api.unavailable(res);
        }
    }

    private static void noRouter(ServerResponse res) {
        Api.coded(res, 404, "no_router_configured", "No RouterAgent is set");
    }

    /** The path's source name, normalised; empty (and answered 400) when it cannot be a source. */
    private static Optional<String> source(ServerRequest req, ServerResponse res) {
        try {
            return Optional.of(StimulusSources.normalise(Api.pathParam(req, "source")));
        } catch (IllegalArgumentException e) {
            Api.coded(res, 400, "invalid_source", e.getMessage());
            return Optional.empty();
        }
    }

    private static void notFound(ServerResponse res, String source) {
        Api.coded(res, 404, "route_not_found", "No route for source '" + source + "'");
    }
}
