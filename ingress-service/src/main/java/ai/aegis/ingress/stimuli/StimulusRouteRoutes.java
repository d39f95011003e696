package ai.aegis.ingress.stimuli;

import ai.aegis.http.Api;
import ai.aegis.http.JsonBodies;
import ai.aegis.ingress.registry.RegistryWriter;
import ai.aegis.schemas.json.Json;
import ai.aegis.schemas.stimulus.StimulusRoute;
import ai.aegis.schemas.topic.CloudEventHeaders;
import ai.aegis.topology.kafka.DurablePublisher;
import ai.aegis.topology.stimulus.StimulusRouteView;
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
 * {@code /v1/stimuli/routes}: the direct route table (source -> workflow), on a compacted topic so that every node
 * and the routing stage read the same table. {@code PUT /{source}} with {@code {"workflow": name}} sets a route (the
 * workflow must be registered: else {@code 422 unknown_workflow}), {@code DELETE /{source}} removes it, {@code GET}
 * lists them or shows one. Source names match case-insensitively and are stored lower-cased. Errors are
 * {@code {"error": code, "message": text}}, as the stimulus routes answer.
 */
public final class StimulusRouteRoutes implements HttpService {

    public static final String SET_TYPE = CloudEventHeaders.type("stimulus", "route_set");
    public static final String REMOVED_TYPE = CloudEventHeaders.type("stimulus", "route_removed");

    private static final System.Logger LOG = System.getLogger(StimulusRouteRoutes.class.getName());

    private final RegistryWriter writer;
    private final StimulusRouteView routes;
    private final WorkflowRegistryView workflows;
    private final Runnable awaitViews;
    private final Clock clock;

    public StimulusRouteRoutes(RegistryWriter writer, StimulusRouteView routes, WorkflowRegistryView workflows,
                               Runnable awaitViews, Clock clock) {
        this.writer = writer;
        this.routes = routes;
        this.workflows = workflows;
        this.awaitViews = awaitViews;
        this.clock = clock;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/", (req, res) -> {
                    awaitViews.run();
                    Api.ok(res, routes.all());
                })
                .get("/{source}", this::get)
                .put("/{source}", this::put)
                .delete("/{source}", this::delete);
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

    /** The path's source name, normalised; empty (and answered 400) when it cannot be a source. */
    private static Optional<String> source(ServerRequest req, ServerResponse res) {
        try {
            return Optional.of(StimulusRoute.normaliseSource(Api.pathParam(req, "source")));
        } catch (IllegalArgumentException e) {
            Api.coded(res, 400, "invalid_source", e.getMessage());
            return Optional.empty();
        }
    }

    private static void notFound(ServerResponse res, String source) {
        Api.coded(res, 404, "route_not_found", "No route for source '" + source + "'");
    }
}
