package ai.aegis.schemas.stimulus;

import ai.aegis.schemas.RecordSchemas;
import ai.aegis.schemas.SchemaResources;
import ai.aegis.schemas.SchemaValidation;
import ai.aegis.schemas.json.Json;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The stimulus values on the wire: literal JSON, round trip, schema, schema-record agreement, and the keys. */
class StimulusContractTest {

    private static final String STIMULUS = "6a1f0c2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b";
    private static final String FIRST = "0f1e2d3c-4b5a-4968-8776-655443322110";
    private static final String CORRELATION = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d";
    private static final String RUN = "5d3c2b1a-0f9e-4d8c-b7a6-958473625140";
    private static final Instant T0 = Instant.parse("2026-03-05T14:00:00Z");
    private static final String KEY = "8797b71aa71ad213f6d57f81ccd9445774ecba7f869f830f20eab6f801b4124b";

    private static StimulusRequest request(String idempotencyKey) {
        return new StimulusRequest(STIMULUS, "github", idempotencyKey, "{\"action\":\"opened\"}",
                StimulusRequest.UTF_8, Map.of("x-github-event", "issues", "content-type", "application/json"), T0,
                new StimulusRequest.ReplyTo("ingress-host-1", CORRELATION));
    }

    @Test
    void aRequestRoundTripsAndValidates() {
        StimulusRequest request = request("evt-1");

        assertThat(Json.tree(Json.write(request))).isEqualTo(Json.tree("""
                {"stimulus_id":"%s","source":"github","idempotency_key":"evt-1","content":"{\\"action\\":\\"opened\\"}",
                 "content_encoding":"utf-8","headers":{"content-type":"application/json","x-github-event":"issues"},
                 "received_at":"2026-03-05T14:00:00Z","reply_to":{"node_id":"ingress-host-1","correlation_id":"%s"}}
                """.formatted(STIMULUS, CORRELATION)));
        // headers are written sorted: the same request is always the same bytes
        assertThat(Json.write(request)).contains("\"headers\":{\"content-type\":\"application/json\",\"x-github-event\"");
        StimulusRequest bytes = new StimulusRequest(STIMULUS, StimulusRequest.HTTP_API, null, "AAEC/w==",
                StimulusRequest.BASE64, Map.of(), T0, new StimulusRequest.ReplyTo("n", CORRELATION));
        for (StimulusRequest r : List.of(request, bytes, request(null))) {
            assertThat(Json.read(Json.write(r), StimulusRequest.class)).isEqualTo(r);
            assertThat(SchemaValidation.validate(SchemaResources.STIMULUS_REQUEST, Json.toTree(r))).isEmpty();
        }
        // an empty body is a body
        assertThat(SchemaValidation.validate(SchemaResources.STIMULUS_REQUEST,
                ((ObjectNode) Json.toTree(request)).put("content", ""))).isEmpty();
    }

    @Test
    void aRequestWithABadSourceEncodingKeyOrReplyToFailsTheSchema() {
        ObjectNode tree = (ObjectNode) Json.toTree(request("evt-1"));
        for (String source : List.of("GitHub", "", "a/b", "a b", "a\u0000b", "x".repeat(129))) {
            assertThat(SchemaValidation.validate(SchemaResources.STIMULUS_REQUEST, tree.deepCopy().put("source",
                    source))).as(source).isNotEmpty();
        }
        assertThat(SchemaValidation.validate(SchemaResources.STIMULUS_REQUEST,
                tree.deepCopy().put("content_encoding", "gzip"))).isNotEmpty();
        assertThat(SchemaValidation.validate(SchemaResources.STIMULUS_REQUEST,
                tree.deepCopy().put("idempotency_key", ""))).isNotEmpty();
        assertThat(SchemaValidation.validate(SchemaResources.STIMULUS_REQUEST,
                tree.deepCopy().without("reply_to"))).isNotEmpty();
        ObjectNode noCorrelation = tree.deepCopy();
        ((ObjectNode) noCorrelation.get("reply_to")).remove("correlation_id");
        assertThat(SchemaValidation.validate(SchemaResources.STIMULUS_REQUEST, noCorrelation)).isNotEmpty();
        ObjectNode numericHeader = tree.deepCopy();
        ((ObjectNode) numericHeader.get("headers")).put("x-count", 3);
        assertThat(SchemaValidation.validate(SchemaResources.STIMULUS_REQUEST, numericHeader)).isNotEmpty();
        assertThat(SchemaValidation.validate(SchemaResources.STIMULUS_REQUEST,
                tree.deepCopy().without("received_at"))).isNotEmpty();
        assertThat(SchemaValidation.validate(SchemaResources.STIMULUS_REQUEST,
                tree.deepCopy().put("received_at", "yesterday"))).isNotEmpty();
        // one rule for source names, in Java and in every schema that names a source
        assertThat(StimulusSources.normalise(StimulusRequest.HTTP_API)).isEqualTo(StimulusRequest.HTTP_API);
        for (String schema : List.of(SchemaResources.STIMULUS_REQUEST, SchemaResources.STIMULUS_ROUTE)) {
            assertThat(Json.tree(SchemaResources.load(schema)).at("/properties/source/pattern").asText()).as(schema)
                    .isEqualTo(StimulusSources.SCHEMA_PATTERN);
        }
        assertThat(SchemaValidation.validate(SchemaResources.STIMULUS_REQUEST,
                tree.deepCopy().put("source", "git-hub.v2"))).isEmpty();
        assertThat(SchemaValidation.validate(SchemaResources.STIMULUS_REQUEST,
                tree.deepCopy().put("source", "GitHub"))).isNotEmpty();
    }

    @Test
    void repliesRoundTripAndADuplicateNamesTheOriginal() {
        StimulusReply duplicate = StimulusReply.duplicate(CORRELATION, STIMULUS, FIRST, T0);
        StimulusReply accepted = new StimulusReply(CORRELATION, STIMULUS, StimulusStatus.ACCEPTED, RUN, null, null,
                T0);
        StimulusReply refused = new StimulusReply(CORRELATION, STIMULUS, StimulusStatus.REFUSED, null, null,
                new StimulusReply.ReplyError("no_route", "no route matches source github"), T0);
        StimulusReply failed = new StimulusReply(CORRELATION, STIMULUS, StimulusStatus.FAILED, null, null,
                new StimulusReply.ReplyError("internal_error", "the classifier did not answer"), T0);

        assertThat(Json.tree(Json.write(duplicate))).isEqualTo(Json.tree("""
                {"correlation_id":"%s","stimulus_id":"%s","outcome":"duplicate","original_stimulus_id":"%s",
                 "error":{"code":"idempotent_duplicate","message":"a stimulus with this idempotency key was already received: %s"},
                 "replied_at":"2026-03-05T14:00:00Z"}
                """.formatted(CORRELATION, STIMULUS, FIRST, FIRST)));
        for (StimulusReply r : List.of(duplicate, accepted, refused, failed)) {
            assertThat(Json.read(Json.write(r), StimulusReply.class)).isEqualTo(r);
            assertThat(SchemaValidation.validate(SchemaResources.STIMULUS_REPLY, Json.toTree(r)))
                    .as(r.outcome().wireName()).isEmpty();
        }
        ObjectNode dup = (ObjectNode) Json.toTree(duplicate);
        assertThat(SchemaValidation.validate(SchemaResources.STIMULUS_REPLY, dup.deepCopy()
                .without("original_stimulus_id"))).isNotEmpty();
        assertThat(SchemaValidation.validate(SchemaResources.STIMULUS_REPLY, dup.deepCopy().without("error")))
                .isNotEmpty();
        ObjectNode otherCode = dup.deepCopy();
        ((ObjectNode) otherCode.get("error")).put("code", "no_route");
        assertThat(SchemaValidation.validate(SchemaResources.STIMULUS_REPLY, otherCode)).isNotEmpty();
        assertThat(SchemaValidation.validate(SchemaResources.STIMULUS_REPLY,
                ((ObjectNode) Json.toTree(refused)).without("error"))).isNotEmpty();
        assertThat(SchemaValidation.validate(SchemaResources.STIMULUS_REPLY,
                ((ObjectNode) Json.toTree(failed)).without("error"))).isNotEmpty();
        assertThat(SchemaValidation.validate(SchemaResources.STIMULUS_REPLY,
                ((ObjectNode) Json.toTree(accepted)).put("outcome", "ok"))).isNotEmpty();
        assertThat(SchemaValidation.validate(SchemaResources.STIMULUS_REPLY,
                ((ObjectNode) Json.toTree(accepted)).without("correlation_id"))).isNotEmpty();
    }

    @Test
    void outcomesRoundTripAndCarryAcceptedRefusedOrDuplicate() {
        StimulusOutcome accepted = new StimulusOutcome(KEY, STIMULUS, StimulusStatus.ACCEPTED, T0);
        StimulusOutcome refused = new StimulusOutcome(KEY, STIMULUS, StimulusStatus.REFUSED, T0);

        assertThat(Json.tree(Json.write(refused))).isEqualTo(Json.tree("""
                {"dedup_key":"%s","stimulus_id":"%s","outcome":"refused","routed_at":"2026-03-05T14:00:00Z"}
                """.formatted(KEY, STIMULUS)));
        for (StimulusOutcome o : List.of(accepted, refused)) {
            assertThat(Json.read(Json.write(o), StimulusOutcome.class)).isEqualTo(o);
            assertThat(SchemaValidation.validate(SchemaResources.STIMULUS_OUTCOME, Json.toTree(o))).isEmpty();
            assertThat(o.outcome().routingOutcome()).isTrue();
        }
        StimulusOutcome decided = new StimulusOutcome(KEY, STIMULUS, StimulusStatus.REFUSED, T0, "github",
                RoutingMode.CLASSIFIED, "billing", null, 0.41, "run-1",
                new StimulusReply.ReplyError("classification_failed", "below the threshold"), null);
        assertThat(Json.read(Json.write(decided), StimulusOutcome.class)).isEqualTo(decided);
        assertThat(SchemaValidation.validate(SchemaResources.STIMULUS_OUTCOME, Json.toTree(decided))).isEmpty();
        assertThat(Json.tree(Json.write(decided)).get("mode").asText()).isEqualTo("classified");
        assertThat(SchemaValidation.validate(SchemaResources.STIMULUS_OUTCOME,
                ((ObjectNode) Json.toTree(decided)).put("confidence", 1.5))).isNotEmpty();
        assertThat(SchemaValidation.validate(SchemaResources.STIMULUS_OUTCOME,
                ((ObjectNode) Json.toTree(decided)).put("mode", "guessed"))).isNotEmpty();
        StimulusOutcome duplicate = StimulusOutcome.duplicate(KEY, "dup-1", "github", STIMULUS, T0);
        assertThat(Json.read(Json.write(duplicate), StimulusOutcome.class)).isEqualTo(duplicate);
        assertThat(SchemaValidation.validate(SchemaResources.STIMULUS_OUTCOME, Json.toTree(duplicate))).isEmpty();
        assertThat(duplicate.error().code()).isEqualTo(StimulusReply.IDEMPOTENT_DUPLICATE);
        assertThat(duplicate.originalStimulusId()).isEqualTo(STIMULUS);
        assertThat(duplicate.outcome().outcomeRecord()).isTrue();
        assertThat(duplicate.outcome().routingOutcome()).isFalse();
        for (String outcome : List.of("failed", "maybe")) {
            assertThat(SchemaValidation.validate(SchemaResources.STIMULUS_OUTCOME,
                    ((ObjectNode) Json.toTree(accepted)).put("outcome", outcome))).as(outcome).isNotEmpty();
        }
        assertThat(SchemaValidation.validate(SchemaResources.STIMULUS_OUTCOME,
                ((ObjectNode) Json.toTree(accepted)).without("stimulus_id"))).isNotEmpty();
        assertThat(StimulusStatus.DUPLICATE.routingOutcome()).isFalse();
        assertThat(StimulusStatus.FAILED.routingOutcome()).isFalse();
    }

    @Test
    void theDedupKeyIsTheHexSha256OfSourceNulKey() {
        // python3 -c "import hashlib; print(hashlib.sha256(b'github\x00evt-1').hexdigest())"
        assertThat(StimulusKeys.dedupKey("github", "evt-1")).isEqualTo(KEY);
        // UTF-8 bytes of the key, whatever it holds
        assertThat(StimulusKeys.dedupKey("stripe", "ключ-✓"))
                .isEqualTo("9537dca8b51399878e533658a53a241810176dd8f299181defd80e7494e807dc");
        // the separator keeps (ab, c) and (a, bc) apart, and the source takes part
        assertThat(StimulusKeys.dedupKey("ab", "c")).isNotEqualTo(StimulusKeys.dedupKey("a", "bc"));
        assertThat(StimulusKeys.dedupKey("github", "evt-1")).isNotEqualTo(StimulusKeys.dedupKey("gitlab", "evt-1"));
        assertThat(StimulusKeys.dedupKey("a", "x\u0000y")).hasSize(64).matches("[0-9a-f]{64}");
        assertThatThrownBy(() -> StimulusKeys.dedupKey("a\u0000b", "c")).isInstanceOf(IllegalArgumentException.class);
        // the record key: the dedup key, or the stimulus id when there is no idempotency key
        assertThat(StimulusKeys.recordKey(request("evt-1"))).isEqualTo(KEY);
        assertThat(StimulusKeys.recordKey(request(null))).isEqualTo(STIMULUS);
    }

    @Test
    void theSchemasDescribeExactlyTheRecordsFields() {
        Map<String, Class<?>> pairs = Map.of(SchemaResources.STIMULUS_REQUEST, StimulusRequest.class,
                SchemaResources.STIMULUS_REPLY, StimulusReply.class,
                SchemaResources.STIMULUS_OUTCOME, StimulusOutcome.class,
                SchemaResources.STIMULUS_CLASSIFICATION, StimulusClassification.class);
        pairs.forEach((schema, record) -> {
            JsonNode tree = Json.tree(SchemaResources.load(schema));
            RecordSchemas.assertDescribes(tree, record);
            assertThat(SchemaValidation.metaSchema().validate(tree)).as(schema).isEmpty();
        });
        RecordSchemas.assertDescribes(Json.tree(SchemaResources.load(SchemaResources.STIMULUS_REQUEST))
                .at("/properties/reply_to"), StimulusRequest.ReplyTo.class);
        RecordSchemas.assertDescribes(Json.tree(SchemaResources.load(SchemaResources.STIMULUS_REPLY))
                .at("/properties/error"), StimulusReply.ReplyError.class);
    }
}
