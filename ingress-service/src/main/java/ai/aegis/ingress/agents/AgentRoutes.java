package ai.aegis.ingress.agents;

import ai.aegis.http.Api;
import ai.aegis.ingress.http.IngressAnswers;
import ai.aegis.schemas.agent.AgentRecord;
import ai.aegis.schemas.agent.ManifestException;
import ai.aegis.topology.agents.AgentRegistryView;
import ai.aegis.topology.kafka.DurablePublisher;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.util.LinkedHashMap;
import java.util.Map;

/** {@code /v1/agents}: deploy (YAML or JSON manifest), list, get, lookup by name, delete. */
public final class AgentRoutes implements HttpService {

    private final AgentService service;
    private final AgentRegistryView registry;
    private final Runnable awaitViews;

    /** @param awaitViews waits (bounded) until this node has read the registry topic, after a start */
    public AgentRoutes(AgentService service, AgentRegistryView registry, Runnable awaitViews) {
        this.service = service;
        this.registry = registry;
        this.awaitViews = awaitViews;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post("/", this::deploy)
                .get("/", (req, res) -> {
                    awaitViews.run();
                    Api.ok(res, registry.all().stream().map(AgentRecord::withoutManifest).toList());
                })
                .get("/lookup/{name}", this::lookup)
                .get("/{id}", this::get)
                .delete("/{id}", this::delete);
    }

    private void deploy(ServerRequest req, ServerResponse res) {
        boolean force = Api.query(req, "force").map(Boolean::parseBoolean).orElse(false);
        awaitViews.run();
        try {
            AgentService.Deployment d = service.deploy(Api.body(req), force);
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("agent_id", d.agent().id());
            body.put("name", d.agent().name());
            body.put("version", d.agent().version());
            body.put("status", d.created() ? "deployed" : "updated");
            Api.json(res, d.created() ? 201 : 200, body);
        } catch (ManifestException e) {
            IngressAnswers.manifestError(res, e);
        } catch (DurablePublisher.UnavailableException e) {
            Api.unavailable(res);
        }
    }

    private void get(ServerRequest req, ServerResponse res) {
        String id = Api.uuidParam(req, "id", "Invalid agent ID");
        awaitViews.run();
        registry.get(id).ifPresentOrElse(a -> Api.ok(res, a),
                () -> Api.error(res, 404, "Agent not found"));
    }

    private void lookup(ServerRequest req, ServerResponse res) {
        awaitViews.run();
        registry.byName(Api.pathParam(req, "name")).ifPresentOrElse(
                a -> Api.ok(res, Map.of("id", a.id(), "name", a.name(), "version", a.version())),
                () -> Api.error(res, 404, "Agent not found"));
    }

    private void delete(ServerRequest req, ServerResponse res) {
        String id = Api.uuidParam(req, "id", "Invalid agent ID");
        awaitViews.run();
        try {
            if (service.delete(id)) {
                Api.ok(res, Map.of("success", true));
            } else {
                Api.error(res, 404, "Agent not found");
            }
        } catch (DurablePublisher.UnavailableException e) {
            Api.unavailable(res);
        }
    }
}
