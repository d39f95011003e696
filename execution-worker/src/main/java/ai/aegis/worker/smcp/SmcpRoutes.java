package ai.aegis.worker.smcp;

import ai.aegis.http.Api;
import ai.aegis.schemas.json.Json;
import ai.aegis.worker.smcp.crypto.KeyRing;
import com.fasterxml.jackson.databind.JsonNode;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/**
 * The SMCP routes of the internal listener (never the public one): {@code POST /v1/smcp/attest},
 * {@code POST /v1/smcp/invoke}, {@code GET /v1/smcp/tools?security_context=}, {@code GET /v1/smcp/jwks.json}.
 * Invocations answer JSON-RPC bodies, errors included (the HTTP status of notes §8.7 beside them).
 */
public final class SmcpRoutes {

    public static final String ATTEST = "/v1/smcp/attest";
    public static final String INVOKE = "/v1/smcp/invoke";
    public static final String TOOLS = "/v1/smcp/tools";
    public static final String JWKS = "/v1/smcp/jwks.json";
    private static final String BEARER = "Bearer ";

    private SmcpRoutes() {
    }

    public static void install(HttpRouting.Builder routing, SmcpService smcp, KeyRing keys) {
        routing.post(ATTEST, (req, res) -> {
            JsonNode body = parse(req);
            if (body == null) {
                Api.error(res, 400, "Malformed JSON");
                return;
            }
            answer(res, smcp.attest(bearer(req), body));
        });
        routing.post(INVOKE, (req, res) -> {
            JsonNode body = parse(req);
            answer(res, body == null ? smcp.notJson() : smcp.invoke(body));
        });
        routing.get(TOOLS, (req, res) -> answer(res, smcp.tools(Api.query(req, "security_context").orElse(null))));
        routing.get(JWKS, (req, res) -> answer(res, smcp.jwks(keys.jwks())));
    }

    private static JsonNode parse(ServerRequest req) {
        try {
            JsonNode n = Json.MAPPER.readTree(Api.body(req));
            return n == null || n.isMissingNode() ? null : n;
        } catch (Exception e) {
            return null;
        }
    }

    private static String bearer(ServerRequest req) {
        return req.headers().first(HeaderNames.AUTHORIZATION).filter(h -> h.startsWith(BEARER))
                .map(h -> h.substring(BEARER.length()).trim()).orElse(null);
    }

    private static void answer(ServerResponse res, SmcpService.Answer a) {
        a.headers().forEach((k, v) -> res.header(k, v));
        Api.json(res, a.status(), a.body());
    }
}
