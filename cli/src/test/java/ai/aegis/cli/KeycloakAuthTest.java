package ai.aegis.cli;

import ai.aegis.keycloak.AegisRealm;
import ai.aegis.keycloak.KeycloakServer;
import ai.aegis.schemas.json.Json;
import ai.aegis.worker.llm.scripted.ScriptStep;
import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.PlainHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The whole system behind a real Keycloak (keycloak-quarkus-dist, the shared realm): real tokens of an operator, a
 * viewer and an approver get what their roles allow; an approver decides an approval and is recorded as its decider;
 * forged, foreign and tampered tokens are refused; a realm key rotated in is picked up without a restart.
 */
class KeycloakAuthTest {

    private static final String WORKFLOW = ApprovalWorkflows.reviewThenShip("kc-review", "");

    @TempDir
    static Path dataDir;
    static KeycloakServer keycloak;
    static TestSystem system;

    @BeforeAll
    static void start() throws Exception {
        // its own server, stopped after this class: the rest of the suite need not share the machine with it
        keycloak = KeycloakServer.start(AegisRealm.json());
        Map<String, String> settings = new HashMap<>(TestSystem.trusting(keycloak));
        // no skew, so that a real token's expiry shows at once (the default allows 30 s)
        settings.put("aegis.auth.oidc.clock-skew-seconds", "0");
        system = new TestSystem(dataDir, Map.of("echo", List.of(ScriptStep.reply("shipped"))), null,
                EnumSet.allOf(AegisSystem.Service.class), settings);
    }

    @AfterAll
    static void stop() {
        if (system != null) {
            system.close();
        }
        if (keycloak != null) {
            keycloak.close();
        }
    }

    private static String tokenOf(AegisRealm.User user) {
        return keycloak.passwordToken(AegisRealm.CLIENT_ID, AegisRealm.CLIENT_SECRET, user.username(),
                user.password());
    }

    private static HttpResponse<String> call(String method, String path, String token, String body)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(system.base + path))
                .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return system.http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void anOperatorDeploysAViewerReadsAndAnApproverDecidesAsThemselves() throws Exception {
        String alice = tokenOf(AegisRealm.ALICE);
        String victor = tokenOf(AegisRealm.VICTOR);
        String april = tokenOf(AegisRealm.APRIL);
        HttpResponse<String> deployed = call("POST", "/v1/agents", alice, TestSystem.agent("shipper", "echo", 1));
        assertThat(deployed.statusCode()).as(deployed.body()).isBetween(200, 201);
        // the service account (client credentials) is an operator too
        String service = keycloak.clientCredentialsToken(AegisRealm.CLIENT_ID, AegisRealm.CLIENT_SECRET);
        HttpResponse<String> workflow = call("POST", "/v1/workflows", service, WORKFLOW);
        assertThat(workflow.statusCode()).as(workflow.body()).isEqualTo(201);

        assertThat(call("GET", "/v1/agents", victor, null).statusCode()).isEqualTo(200);
        HttpResponse<String> refused = call("POST", "/v1/workflows/kc-review/run", victor, "{\"input\":\"v2\"}");
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(403);
        assertThat(Json.tree(refused.body()).path("required_role").asText()).isEqualTo("aegis-operator");

        HttpResponse<String> run = call("POST", "/v1/workflows/kc-review/run", alice, "{\"input\":\"v2\"}");
        assertThat(run.statusCode()).as(run.body()).isBetween(200, 202);
        String runId = Json.tree(run.body()).path("workflow_execution_id").asText(
                Json.tree(run.body()).path("execution_id").asText());
        String approvalId = await().atMost(Duration.ofSeconds(60)).until(() -> {
            for (JsonNode r : Json.tree(call("GET", "/v1/human-approvals", april, null).body())
                    .path("pending_requests")) {
                if (r.path("workflow_execution_id").asText().equals(runId)) {
                    return r.path("id").asText();
                }
            }
            return null;
        }, java.util.Objects::nonNull);

        // a viewer may not decide; an approver may not decide in someone else's name
        assertThat(call("POST", "/v1/human-approvals/" + approvalId + "/approve", victor, "{}").statusCode())
                .isEqualTo(403);
        HttpResponse<String> asAlice = call("POST", "/v1/human-approvals/" + approvalId + "/approve", april,
                "{\"approved_by\":\"alice\"}");
        assertThat(asAlice.statusCode()).as(asAlice.body()).isEqualTo(403);
        HttpResponse<String> approved = call("POST", "/v1/human-approvals/" + approvalId + "/approve", april,
                "{\"feedback\":\"ship it\"}");
        assertThat(approved.statusCode()).as(approved.body()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(90)).until(() -> Json.tree(call("GET", "/v1/workflows/executions/"
                + runId, victor, null).body()).path("status").asText().equals("completed"));
        assertThat(call("GET", "/v1/workflows/executions/" + runId, victor, null).body())
                .contains("\"decided_by\":\"april\"");
    }

    @Test
    void forgedForeignAndTamperedTokensAreRefusedWithAChallenge() throws Exception {
        String alice = tokenOf(AegisRealm.ALICE);
        String[] parts = alice.split("\\.");
        char last = parts[2].charAt(parts[2].length() - 2);
        String tampered = parts[0] + "." + parts[1] + "." + parts[2].substring(0, parts[2].length() - 2)
                + (last == 'A' ? 'B' : 'A') + parts[2].charAt(parts[2].length() - 1);
        JWTClaimsSet claims = SignedJWT.parse(alice).getJWTClaimsSet();
        String none = new PlainJWT(new PlainHeader(), claims).serialize();
        RSAKey stranger = new RSAKeyGenerator(2048).keyID(SignedJWT.parse(alice).getHeader().getKeyID()).generate();
        SignedJWT forged = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(stranger.getKeyID()).build(),
                claims);
        forged.sign(new RSASSASigner(stranger));
        // a real token of this realm for another client (admin-cli: no audience mapper adds aegis-api)
        String otherAudience = keycloak.passwordToken("admin-cli", "", AegisRealm.ALICE.username(),
                AegisRealm.ALICE.password());
        // a real token of another realm (master: the admin's) is of a foreign issuer
        String foreign = keycloak.masterAdminToken();

        for (Map.Entry<String, String> bad : Map.of("tampered", tampered, "alg none", none, "an unknown key",
                forged.serialize(), "another audience", otherAudience, "another issuer", foreign)
                .entrySet()) {
            HttpResponse<String> res = call("GET", "/v1/agents", bad.getValue(), null);
            assertThat(res.statusCode()).as(bad.getKey() + ": " + res.body()).isEqualTo(401);
            assertThat(res.headers().firstValue("WWW-Authenticate").orElseThrow()).as(bad.getKey())
                    .contains("error=\"invalid_token\"");
        }
        assertThat(call("GET", "/v1/agents", alice, null).statusCode()).isEqualTo(200);
    }

    @Test
    void aRealTokenIsRefusedOnceItHasExpired() throws Exception {
        keycloak.setAccessTokenLifespan(Duration.ofSeconds(2));
        String shortLived;
        try {
            shortLived = tokenOf(AegisRealm.VICTOR);
        } finally {
            keycloak.setAccessTokenLifespan(Duration.ofMinutes(5));
        }
        assertThat(call("GET", "/v1/agents", shortLived, null).statusCode()).isEqualTo(200);
        // the cached verification ends with the token's exp too
        await().atMost(Duration.ofSeconds(30)).until(() -> call("GET", "/v1/agents", shortLived, null)
                .statusCode() == 401);
        HttpResponse<String> expired = call("GET", "/v1/agents", shortLived, null);
        assertThat(expired.headers().firstValue("WWW-Authenticate").orElseThrow()).contains("error=\"invalid_token\"")
                .contains("Expired");
    }

    @Test
    void aRealmKeyRotatedInIsPickedUpWithoutARestart() throws Exception {
        String before = tokenOf(AegisRealm.VICTOR);
        assertThat(call("GET", "/v1/agents", before, null).statusCode()).isEqualTo(200);
        String kid = keycloak.rotateRealmKey();
        String after = tokenOf(AegisRealm.VICTOR);
        assertThat(SignedJWT.parse(after).getHeader().getKeyID()).isEqualTo(kid);
        // an unknown kid makes one refetch of the realm's keys (rate-limited: it may take a few seconds)
        await().atMost(Duration.ofSeconds(30)).until(() -> call("GET", "/v1/agents", after, null).statusCode() == 200);
        // a token signed before the rotation still verifies while the realm still publishes its key
        assertThat(call("GET", "/v1/agents", before, null).statusCode()).isEqualTo(200);
    }
}
