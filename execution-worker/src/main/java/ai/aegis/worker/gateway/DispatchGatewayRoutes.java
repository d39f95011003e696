package ai.aegis.worker.gateway;

import ai.aegis.schemas.json.Json;
import com.fasterxml.jackson.databind.JsonNode;
import io.helidon.common.media.type.MediaTypes;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.util.Map;

/** The internal listener's routes: {@code POST /v1/dispatch-gateway} (and JSON 404 for anything else). */
public final class DispatchGatewayRoutes {

    public static final String PATH = "/v1/dispatch-gateway";
    private static final String BEARER = "Bearer ";

    private DispatchGatewayRoutes() {
    }

    public static void install(HttpRouting.Builder routing, DispatchGateway gateway) {
        routing.post(PATH, (req, res) -> handle(gateway, req, res));
        routing.any((req, res) -> json(res, 404, Map.of("error", "Not found")));
    }

    private static void handle(DispatchGateway gateway, ServerRequest req, ServerResponse res) {
        String token = req.headers().first(HeaderNames.AUTHORIZATION)
                .filter(h -> h.startsWith(BEARER)).map(h -> h.substring(BEARER.length()).trim()).orElse(null);
        JsonNode body;
        try {
            body = Json.MAPPER.readTree(req.content().hasEntity() ? req.content().as(String.class) : "");
        } catch (Exception e) {
            json(res, 400, Map.of("error", "Malformed JSON"));
            return;
        }
        try {
            json(res, 200, gateway.handle(token, body));
        } catch (GatewayException e) {
            json(res, e.status(), Map.of("error", e.getMessage()));
        }
    }

    private static void json(ServerResponse res, int status, Object body) {
        res.status(Status.create(status));
        res.headers().contentType(MediaTypes.APPLICATION_JSON);
        res.send(Json.writeBytes(body));
    }
}
