package ai.aegis.worker.gateway;

import ai.aegis.http.Api;
import ai.aegis.schemas.json.Json;
import com.fasterxml.jackson.databind.JsonNode;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/**
 * The internal listener's routes: {@code POST /v1/dispatch-gateway} (and JSON 404 for anything else). Sandboxes are
 * its only callers, so its answers are its own and shorter than the public API's: any unparsable body is
 * {@code Malformed JSON}, and a refusal carries the {@link GatewayException}'s status.
 */
public final class DispatchGatewayRoutes {

    public static final String PATH = "/v1/dispatch-gateway";
    private static final String BEARER = "Bearer ";

    private DispatchGatewayRoutes() {
    }

    public static void install(HttpRouting.Builder routing, DispatchGateway gateway) {
        routing.post(PATH, (req, res) -> handle(gateway, req, res));
        routing.any((req, res) -> Api.error(res, 404, "Not found"));
    }

    private static void handle(DispatchGateway gateway, ServerRequest req, ServerResponse res) {
        String token = req.headers().first(HeaderNames.AUTHORIZATION)
                .filter(h -> h.startsWith(BEARER)).map(h -> h.substring(BEARER.length()).trim()).orElse(null);
        JsonNode body;
        try {
            body = Json.MAPPER.readTree(Api.body(req));
        } catch (Exception e) {
            Api.error(res, 400, "Malformed JSON");
            return;
        }
        try {
            Api.ok(res, gateway.handle(token, body));
        } catch (GatewayException e) {
            Api.error(res, e.status(), e.getMessage());
        }
    }
}
