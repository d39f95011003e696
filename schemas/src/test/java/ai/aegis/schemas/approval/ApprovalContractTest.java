package ai.aegis.schemas.approval;

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

/** The approval values on the wire: literal JSON, round trip, schema, and schema-record agreement. */
class ApprovalContractTest {

    private static final String RUN = "5d3c2b1a-0f9e-4d8c-b7a6-958473625140";
    private static final String APPROVAL = "7e6d5c4b-3a29-4180-9f7e-6d5c4b3a2918";
    private static final String COMMAND = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d";
    private static final Instant T0 = Instant.parse("2026-03-05T14:00:00Z");

    @Test
    void aRequestRoundTripsValidatesAndKnowsItsDeadline() {
        ApprovalRequest request = new ApprovalRequest(APPROVAL, RUN, "review", null, "Approve the draft?", T0, 3600,
                "approved");
        String json = Json.write(request);

        assertThat(Json.tree(json)).isEqualTo(Json.tree("""
                {"id":"%s","workflow_execution_id":"%s","state_name":"review","prompt":"Approve the draft?",
                 "created_at":"2026-03-05T14:00:00Z","timeout_seconds":3600,"default_response":"approved"}
                """.formatted(APPROVAL, RUN)));
        assertThat(Json.read(json, ApprovalRequest.class)).isEqualTo(request);
        assertThat(SchemaValidation.validate(SchemaResources.APPROVAL_REQUEST, Json.tree(json))).isEmpty();
        assertThat(request.deadline()).isEqualTo(Instant.parse("2026-03-05T15:00:00Z"));
    }

    @Test
    void commandsRoundTripAndARejectionNeedsAReason() {
        ApprovalCommand approve = new ApprovalCommand(COMMAND, APPROVAL, ApprovalCommand.APPROVE,
                "Looks good, approved for production.", null, "alice@example.com", "ingress-host-1", T0);
        ApprovalCommand reject = new ApprovalCommand(COMMAND, APPROVAL, ApprovalCommand.REJECT, null,
                "Needs more citations.", null, "ingress-host-2", T0);

        assertThat(Json.tree(Json.write(approve))).isEqualTo(Json.tree("""
                {"command_id":"%s","approval_id":"%s","decision":"approve","feedback":"Looks good, approved for production.",
                 "decided_by":"alice@example.com","reply_to":"ingress-host-1","requested_at":"2026-03-05T14:00:00Z"}
                """.formatted(COMMAND, APPROVAL)));
        for (ApprovalCommand c : List.of(approve, reject)) {
            assertThat(Json.read(Json.write(c), ApprovalCommand.class)).isEqualTo(c);
            assertThat(SchemaValidation.validate(SchemaResources.APPROVAL_COMMAND, Json.toTree(c))).isEmpty();
        }
        ObjectNode noReason = ((ObjectNode) Json.toTree(reject)).without("reason");
        assertThat(SchemaValidation.validate(SchemaResources.APPROVAL_COMMAND, noReason)).isNotEmpty();
        assertThat(SchemaValidation.validate(SchemaResources.APPROVAL_COMMAND,
                ((ObjectNode) Json.toTree(approve)).put("decision", "maybe"))).isNotEmpty();
        assertThat(SchemaValidation.validate(SchemaResources.APPROVAL_COMMAND,
                ((ObjectNode) Json.toTree(approve)).without("reply_to"))).isNotEmpty();
    }

    @Test
    void decisionsRoundTripAndTheirResponseFollowsTheOutcome() {
        ApprovalDecision approved = new ApprovalDecision(APPROVAL, RUN, "review", ApprovalStatus.APPROVED,
                "Ship it", null, "alice@example.com", "approved", T0);
        ApprovalDecision rejected = new ApprovalDecision(APPROVAL, RUN, "review", ApprovalStatus.REJECTED, null,
                "Needs more citations.", null, "rejected", T0);
        ApprovalDecision timedOutWithDefault = new ApprovalDecision(APPROVAL, RUN, "review",
                ApprovalStatus.TIMED_OUT, null, null, null, "yes", T0);
        ApprovalDecision timedOut = new ApprovalDecision(APPROVAL, RUN, "review", ApprovalStatus.TIMED_OUT, null,
                null, null, null, T0);

        assertThat(Json.tree(Json.write(rejected))).isEqualTo(Json.tree("""
                {"approval_id":"%s","workflow_execution_id":"%s","state_name":"review","outcome":"rejected",
                 "reason":"Needs more citations.","response":"rejected","decided_at":"2026-03-05T14:00:00Z"}
                """.formatted(APPROVAL, RUN)));
        for (ApprovalDecision d : List.of(approved, rejected, timedOutWithDefault, timedOut)) {
            assertThat(Json.read(Json.write(d), ApprovalDecision.class)).isEqualTo(d);
            assertThat(SchemaValidation.validate(SchemaResources.APPROVAL_DECISION, Json.toTree(d)))
                    .as(d.outcome().wireName()).isEmpty();
        }
        assertThat(SchemaValidation.validate(SchemaResources.APPROVAL_DECISION,
                ((ObjectNode) Json.toTree(approved)).put("response", "rejected"))).isNotEmpty();
        assertThat(SchemaValidation.validate(SchemaResources.APPROVAL_DECISION,
                ((ObjectNode) Json.toTree(rejected)).without("reason"))).isNotEmpty();
        assertThat(SchemaValidation.validate(SchemaResources.APPROVAL_DECISION,
                ((ObjectNode) Json.toTree(timedOut)).put("outcome", "expired"))).isNotEmpty();
    }

    @Test
    void repliesRoundTripAndARefusalCarriesTheReferencesError() {
        ApprovalReply ok = new ApprovalReply(COMMAND, APPROVAL, true, ApprovalStatus.APPROVED, null, T0);
        ApprovalReply refused = new ApprovalReply(COMMAND, APPROVAL, false, ApprovalStatus.REJECTED,
                ApprovalReply.NOT_FOUND_OR_COMPLETED, T0);

        assertThat(Json.tree(Json.write(refused))).isEqualTo(Json.tree("""
                {"command_id":"%s","approval_id":"%s","accepted":false,"status":"rejected",
                 "error":"Request not found or already completed","replied_at":"2026-03-05T14:00:00Z"}
                """.formatted(COMMAND, APPROVAL)));
        for (ApprovalReply r : List.of(ok, refused)) {
            assertThat(Json.read(Json.write(r), ApprovalReply.class)).isEqualTo(r);
            assertThat(SchemaValidation.validate(SchemaResources.APPROVAL_REPLY, Json.toTree(r))).isEmpty();
        }
        assertThat(SchemaValidation.validate(SchemaResources.APPROVAL_REPLY,
                ((ObjectNode) Json.toTree(refused)).without("error"))).isNotEmpty();
        assertThat(SchemaValidation.validate(SchemaResources.APPROVAL_REPLY,
                ((ObjectNode) Json.toTree(ok)).without("accepted"))).isNotEmpty();
    }

    @Test
    void aRequestWithoutStateOrWithAZeroTimeoutFailsTheSchema() {
        ObjectNode tree = (ObjectNode) Json.toTree(new ApprovalRequest(APPROVAL, RUN, "review", null, "p", T0, 60,
                null));
        assertThat(SchemaValidation.validate(SchemaResources.APPROVAL_REQUEST, tree)).isEmpty();
        assertThat(SchemaValidation.validate(SchemaResources.APPROVAL_REQUEST, tree.deepCopy().without("state_name")))
                .isNotEmpty();
        assertThat(SchemaValidation.validate(SchemaResources.APPROVAL_REQUEST,
                tree.deepCopy().put("timeout_seconds", 0))).isNotEmpty();
    }

    @Test
    void theSchemasDescribeExactlyTheRecordsFields() {
        Map<String, Class<?>> pairs = Map.of(SchemaResources.APPROVAL_REQUEST, ApprovalRequest.class,
                SchemaResources.APPROVAL_COMMAND, ApprovalCommand.class,
                SchemaResources.APPROVAL_DECISION, ApprovalDecision.class,
                SchemaResources.APPROVAL_REPLY, ApprovalReply.class);
        pairs.forEach((schema, record) -> {
            JsonNode tree = Json.tree(SchemaResources.load(schema));
            RecordSchemas.assertDescribes(tree, record);
            assertThat(SchemaValidation.metaSchema().validate(tree)).as(schema).isEmpty();
        });
    }
}
