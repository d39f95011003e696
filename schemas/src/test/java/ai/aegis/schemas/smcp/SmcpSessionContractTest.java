package ai.aegis.schemas.smcp;

import ai.aegis.schemas.RecordSchemas;
import ai.aegis.schemas.SchemaResources;
import ai.aegis.schemas.SchemaValidation;
import ai.aegis.schemas.json.Json;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Instant;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The values of the SMCP sessions topic: sessions and signing keys as literal JSON, round trip, validation against
 * smcp-session.schema.json, and schema-record agreement. Broken ones fail the schema.
 */
class SmcpSessionContractTest {

    private static final String SCHEMA = SchemaResources.SMCP_SESSION;
    private static final String SESSION = "8c7b6a59-4e3d-4c2b-9a19-0f8e7d6c5b4a";
    private static final String EXEC = "3f1c1a8e-6a57-4d8e-9b7a-0c1d2e3f4a5b";
    private static final String AGENT = "9b2e4c6d-1f3a-4b5c-8d7e-6f5a4b3c2d1e";
    private static final String TOKEN = "b1d2c3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e";
    private static final String KID = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";
    // the RFC 8032 test vector 1 public key: 32 bytes, 44 base64 characters
    private static final String PUBLIC_KEY = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
    private static final Instant T0 = Instant.parse("2026-03-05T14:00:01.500Z");
    private static final Instant T1 = Instant.parse("2026-03-05T14:30:01.500Z");
    private static final Instant T2 = Instant.parse("2026-03-05T14:05:00Z");

    private static SmcpSession active() {
        return new SmcpSession(SESSION, AGENT, EXEC, 1, "aegis-3f1c1a8e-1", PUBLIC_KEY, "default", TOKEN, KID,
                SmcpSessionStatus.ACTIVE, T0, T1, null, null);
    }

    @Test
    void anActiveSessionIsSnakeCaseWithALowerCaseStatusAndNoEnd() {
        SmcpSession session = active();
        String json = Json.write(session);

        assertThat(Json.tree(json)).isEqualTo(Json.tree("""
                {"session_id":"%s","agent_id":"%s","execution_id":"%s","iteration_number":1,
                 "container_id":"aegis-3f1c1a8e-1","agent_public_key":"%s","security_context":"default",
                 "token_id":"%s","key_id":"%s","status":"active","created_at":"2026-03-05T14:00:01.500Z",
                 "expires_at":"2026-03-05T14:30:01.500Z"}
                """.formatted(SESSION, AGENT, EXEC, PUBLIC_KEY, TOKEN, KID)));
        // ended_at and reason are left out while the session is active, never written as null
        assertThat(json).doesNotContain("ended_at", "reason", "null");
        assertThat(Json.read(json, SmcpSession.class)).isEqualTo(session);
        assertThat(SchemaValidation.validate(SCHEMA, Json.tree(json))).isEmpty();
    }

    /** A reader of the topic also takes ended_at and reason written as null. */
    @Test
    void anActiveSessionWithNullEndReadsAndValidates() {
        ObjectNode withNulls = (ObjectNode) Json.toTree(active());
        withNulls.putNull("ended_at").putNull("reason");

        assertThat(SchemaValidation.validate(SCHEMA, withNulls)).isEmpty();
        assertThat(Json.read(withNulls.toString(), SmcpSession.class)).isEqualTo(active());
    }

    @Test
    void endedAndRevokedSessionsCarryWhenAndWhy() {
        for (SmcpSessionStatus how : new SmcpSessionStatus[]{SmcpSessionStatus.ENDED, SmcpSessionStatus.REVOKED}) {
            SmcpSession ended = active().end(how, T2, "iteration finished");
            String json = Json.write(ended);

            JsonNode tree = Json.tree(json);
            assertThat(tree.path("status").asText()).isEqualTo(how.name().toLowerCase(Locale.ROOT));
            assertThat(tree.path("ended_at").asText()).isEqualTo("2026-03-05T14:05:00Z");
            assertThat(tree.path("reason").asText()).isEqualTo("iteration finished");
            assertThat(Json.read(json, SmcpSession.class)).isEqualTo(ended);
            assertThat(SchemaValidation.validate(SCHEMA, tree)).as(how.wireName()).isEmpty();
            // everything else is the session as it was
            assertThat(ended.end(SmcpSessionStatus.ACTIVE, null, null)).isEqualTo(active());
        }
    }

    @Test
    void theStatusesAreTheSchemasEnum() {
        JsonNode values = Json.tree(SchemaResources.load(SCHEMA)).at("/$defs/session/properties/status/enum");
        assertThat(values).extracting(JsonNode::asText).containsExactlyElementsOf(
                Arrays.stream(SmcpSessionStatus.values()).map(SmcpSessionStatus::wireName).toList());
        for (SmcpSessionStatus s : SmcpSessionStatus.values()) {
            assertThat(SmcpSessionStatus.fromWire(s.wireName())).isEqualTo(s);
        }
        assertThat(SmcpSessionStatus.fromWire("ACTIVE")).isNull();
    }

    @Test
    void aMissingContainerIdReadsAsEmpty() {
        ObjectNode noContainer = ((ObjectNode) Json.toTree(active())).without("container_id");

        assertThat(SchemaValidation.validate(SCHEMA, noContainer)).isEmpty();
        assertThat(Json.read(noContainer.toString(), SmcpSession.class).containerId()).isEmpty();
    }

    @Test
    void aSigningKeyRoundTripsValidatesAndIsKeyedByItsKid() {
        JsonNode jwk = Json.tree("""
                {"kty":"RSA","e":"AQAB","use":"sig","kid":"%s","alg":"RS256","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmb"}
                """.formatted(KID));
        SmcpSigningKey key = new SmcpSigningKey(KID, jwk, Instant.parse("2026-03-05T13:59:00Z"));
        String json = Json.write(key);

        assertThat(Json.tree(json)).isEqualTo(Json.tree("""
                {"key_id":"%s","jwk":%s,"published_at":"2026-03-05T13:59:00Z"}
                """.formatted(KID, jwk)));
        assertThat(Json.read(json, SmcpSigningKey.class)).isEqualTo(key);
        assertThat(SchemaValidation.validate(SCHEMA, Json.tree(json))).isEmpty();
        assertThat(key.recordKey()).isEqualTo("jwk:" + KID);
        // without its JWK (or with a JWK that is not one) it is neither a key nor a session
        assertThat(SchemaValidation.validate(SCHEMA, ((ObjectNode) Json.tree(json)).without("jwk"))).isNotEmpty();
        assertThat(SchemaValidation.validate(SCHEMA, ((ObjectNode) Json.tree(json)).put("jwk", "a string")))
                .isNotEmpty();
        assertThat(SchemaValidation.validate(SCHEMA, ((ObjectNode) Json.tree(json)).without("published_at")))
                .isNotEmpty();
        assertThat(SchemaValidation.validate(SCHEMA,
                ((ObjectNode) Json.tree(json)).set("jwk", Json.tree("{\"kty\":\"RSA\"}")))).isNotEmpty();
    }

    @Test
    void theCloudEventTypesFollowTheNaming() {
        assertThat(SmcpSession.CE_TYPE).isEqualTo("ai.aegis.smcp.session.v1");
        assertThat(SmcpSigningKey.CE_TYPE).isEqualTo("ai.aegis.smcp.signing_key.v1");
    }

    static Stream<Arguments> brokenSessions() {
        return Stream.of(
                broken("missing session_id", s -> s.remove("session_id")),
                broken("session_id not a UUID", s -> s.put("session_id", "session-1")),
                broken("bad status", s -> s.put("status", "paused")),
                broken("upper-case status", s -> s.put("status", "ACTIVE")),
                broken("10-char agent_public_key", s -> s.put("agent_public_key", "AAAAAAAAAA")),
                broken("missing agent_public_key", s -> s.remove("agent_public_key")),
                broken("missing security_context", s -> s.remove("security_context")),
                broken("missing key_id", s -> s.remove("key_id")),
                broken("iteration 0", s -> s.put("iteration_number", 0)),
                broken("expires_at not RFC 3339", s -> s.put("expires_at", "in half an hour")),
                broken("ended_at not RFC 3339", s -> s.put("ended_at", "yesterday")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("brokenSessions")
    void brokenSessionsFailTheSchema(String label, Consumer<ObjectNode> breakIt) {
        ObjectNode session = (ObjectNode) Json.toTree(active());
        assertThat(SchemaValidation.validate(SCHEMA, session)).isEmpty();

        breakIt.accept(session);

        assertThat(SchemaValidation.validate(SCHEMA, session)).as(label).isNotEmpty();
    }

    @Test
    void theSchemaDescribesExactlyTheRecordsFields() {
        JsonNode schema = Json.tree(SchemaResources.load(SCHEMA));
        assertThat(schema.get("oneOf")).extracting(r -> r.get("$ref").asText())
                .containsExactly("#/$defs/session", "#/$defs/signing_key");
        RecordSchemas.assertDescribes(schema.at("/$defs/session"), SmcpSession.class);
        RecordSchemas.assertDescribes(schema.at("/$defs/signing_key"), SmcpSigningKey.class);
        assertThat(SchemaValidation.metaSchema().validate(schema)).isEmpty();
    }

    private static Arguments broken(String label, Consumer<ObjectNode> breakIt) {
        return Arguments.of(label, breakIt);
    }
}
