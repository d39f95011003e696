package ai.aegis.schemas.topic;

import ai.aegis.schemas.Ids;
import ai.aegis.schemas.SchemaResources;
import ai.aegis.schemas.smcp.SmcpSigningKey;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TopicCatalogTest {

    @Test
    void defaultNamesCarryTheAegisPrefix() {
        TopicCatalog catalog = TopicCatalog.defaults();

        assertThat(catalog.prefix()).isEqualTo("aegis");
        assertThat(catalog.all()).extracting(TopicSpec::name)
                .containsExactly("aegis.agents.v1", "aegis.execution.requests.v1", "aegis.execution.events.v1",
                        "aegis.execution.commands.v1", "aegis.workflows.v1", "aegis.workflow.commands.v1",
                        "aegis.workflow.events.v1", "aegis.workflow.steps.v1", "aegis.approval.requests.v1",
                        "aegis.approval.decisions.v1", "aegis.approval.commands.v1", "aegis.approval.replies.v1",
                        "aegis.deadletter.v1", "aegis.stimulus.routes.v1", "aegis.stimulus.router.v1",
                        "aegis.stimulus.requests.v1", "aegis.stimulus.accepted.v1", "aegis.stimulus.outcomes.v1",
                        "aegis.stimulus.replies.v1", "aegis.stimulus.classifications.v1", "aegis.smcp.sessions.v1");
        assertThat(catalog.all()).extracting(TopicSpec::valueSchema).containsExactly(
                SchemaResources.AGENT_RECORD, SchemaResources.EXECUTION_REQUEST, SchemaResources.EXECUTION_EVENT,
                SchemaResources.EXECUTION_COMMAND, SchemaResources.WORKFLOW_RECORD, SchemaResources.WORKFLOW_COMMAND,
                SchemaResources.WORKFLOW_EVENT, SchemaResources.WORKFLOW_STEP_RESULT, SchemaResources.APPROVAL_REQUEST,
                SchemaResources.APPROVAL_DECISION, SchemaResources.APPROVAL_COMMAND, SchemaResources.APPROVAL_REPLY,
                SchemaResources.DEAD_LETTER, SchemaResources.STIMULUS_ROUTE, SchemaResources.STIMULUS_ROUTER,
                SchemaResources.STIMULUS_REQUEST, SchemaResources.STIMULUS_REQUEST, SchemaResources.STIMULUS_OUTCOME,
                SchemaResources.STIMULUS_REPLY, SchemaResources.STIMULUS_CLASSIFICATION, SchemaResources.SMCP_SESSION);
    }

    @Test
    void aCustomPrefixAndPartitionCountApply() {
        TopicCatalog catalog = new TopicCatalog("it-42_x.y", 3);

        assertThat(catalog.agents().name()).isEqualTo("it-42_x.y.agents.v1");
        assertThat(catalog.executionRequests().name()).isEqualTo("it-42_x.y.execution.requests.v1");
        assertThat(catalog.executionEvents().name()).isEqualTo("it-42_x.y.execution.events.v1");
        // The registry is one partition so that a full replay rebuilds it in order; the rest scale out.
        assertThat(catalog.agents().partitions()).isEqualTo(1);
        assertThat(catalog.executionRequests().partitions()).isEqualTo(3);
        assertThat(catalog.executionEvents().partitions()).isEqualTo(3);
    }

    @Test
    void theRegistryIsCompactedAndTheRestKeptForever() {
        TopicCatalog catalog = TopicCatalog.defaults();

        assertThat(catalog.agents().compacted()).isTrue();
        assertThat(catalog.agents().configs()).containsEntry("cleanup.policy", "compact");
        for (TopicSpec spec : new TopicSpec[]{catalog.executionRequests(), catalog.executionEvents()}) {
            assertThat(spec.configs()).isEqualTo(Map.of("cleanup.policy", "delete", "retention.ms", "-1"));
            assertThat(spec.key()).isEqualTo("execution id (UUID)");
        }
    }

    @Test
    void workflowAndApprovalTopicsAreKeyedAndKeptAsTheEngineAndTheApprovalServiceNeed() {
        TopicCatalog catalog = new TopicCatalog("x", 4);

        // The workflow registry is like the agent registry: one partition, compacted, keyed by name.
        assertThat(catalog.workflows()).isEqualTo(new TopicSpec("x.workflows.v1", 1, true, -1, "workflow name",
                SchemaResources.WORKFLOW_RECORD));
        for (TopicSpec spec : List.of(catalog.workflowCommands(), catalog.workflowEvents(), catalog.workflowSteps())) {
            assertThat(spec.key()).as(spec.name()).isEqualTo("workflow execution id (UUID)");
            assertThat(spec.partitions()).as(spec.name()).isEqualTo(4);
            assertThat(spec.configs()).as(spec.name()).isEqualTo(Map.of("cleanup.policy", "delete", "retention.ms", "-1"));
        }
        for (TopicSpec spec : List.of(catalog.approvalRequests(), catalog.approvalDecisions(),
                catalog.approvalCommands())) {
            assertThat(spec.key()).as(spec.name()).isEqualTo("approval id (UUID)");
            assertThat(spec.partitions()).as(spec.name()).isEqualTo(4);
        }
        assertThat(catalog.approvalRequests().retentionMs()).isEqualTo(-1);
        assertThat(catalog.approvalDecisions().retentionMs()).isEqualTo(-1);
        assertThat(catalog.approvalCommands().configs()).containsEntry("retention.ms", "604800000");
        assertThat(catalog.approvalReplies()).isEqualTo(new TopicSpec("x.approval.replies.v1", 4, false, 3_600_000,
                "ingress node id", SchemaResources.APPROVAL_REPLY));
        assertThat(catalog.approvalReplies().configs()).containsEntry("retention.ms", "3600000");
        // The existing topics did not change.
        assertThat(catalog.executionCommands().retentionMs()).isEqualTo(7L * 24 * 3600 * 1000);
        assertThat(catalog.all()).hasSize(21).doesNotHaveDuplicates();
    }

    @Test
    void stimulusRoutesAreARegistryOfOnePartitionKeptCompacted() {
        TopicCatalog catalog = new TopicCatalog("x", 4);
        assertThat(catalog.stimulusRoutes()).isEqualTo(new TopicSpec("x.stimulus.routes.v1", 1, true, -1,
                "source name (lower-case)", SchemaResources.STIMULUS_ROUTE));
        assertThat(catalog.all()).contains(catalog.stimulusRoutes());
        assertThat(catalog.stimulusRouter()).isEqualTo(new TopicSpec("x.stimulus.router.v1", 1, true, -1,
                "\"router\" (one record)", SchemaResources.STIMULUS_ROUTER));
    }

    @Test
    void stimulusTopicsShareTheDedupKeyAndRepliesGoToTheWaitingNode() {
        TopicCatalog catalog = new TopicCatalog("x", 4);
        String key = "deduplication key (64 hex), or stimulus id (UUID) without one";

        assertThat(catalog.stimulusRequests()).isEqualTo(new TopicSpec("x.stimulus.requests.v1", 4, false,
                7L * 24 * 3600 * 1000, key, SchemaResources.STIMULUS_REQUEST));
        // the same records, forwarded, kept a week too
        assertThat(catalog.stimulusAccepted()).isEqualTo(new TopicSpec("x.stimulus.accepted.v1", 4, false,
                7L * 24 * 3600 * 1000, key, SchemaResources.STIMULUS_REQUEST));
        assertThat(catalog.stimulusOutcomes()).isEqualTo(new TopicSpec("x.stimulus.outcomes.v1", 4, false,
                7L * 24 * 3600 * 1000, key, SchemaResources.STIMULUS_OUTCOME));
        assertThat(catalog.stimulusReplies()).isEqualTo(new TopicSpec("x.stimulus.replies.v1", 4, false, 3_600_000,
                "ingress node id", SchemaResources.STIMULUS_REPLY));
        // requests and outcomes are co-partitioned: one task owns a key's entry and reads its outcomes
        assertThat(catalog.stimulusOutcomes().partitions()).isEqualTo(catalog.stimulusRequests().partitions());
        // classifications are co-partitioned with the execution events: one task holds a classification and reads
        // its execution's end
        assertThat(catalog.stimulusClassifications()).isEqualTo(new TopicSpec("x.stimulus.classifications.v1", 4,
                false, 7L * 24 * 3600 * 1000, "the RouterAgent's execution id",
                SchemaResources.STIMULUS_CLASSIFICATION));
        assertThat(catalog.stimulusClassifications().partitions())
                .isEqualTo(catalog.executionEvents().partitions());
        assertThat(catalog.stimulusTopics()).containsExactly(catalog.stimulusRequests(), catalog.stimulusAccepted(),
                catalog.stimulusOutcomes(), catalog.stimulusReplies(), catalog.stimulusClassifications());
        // created at start like every other topic
        assertThat(catalog.all()).containsAll(catalog.stimulusTopics());
        for (TopicSpec spec : catalog.stimulusTopics()) {
            assertThat(SchemaResources.load(spec.valueSchema())).as(spec.name()).contains("\"$schema\"");
        }
    }

    @Test
    void deadLettersAreKeptAMonthAndPartitionedLikeTheTopicsTheyComeFrom() {
        TopicCatalog catalog = new TopicCatalog("x", 4);
        assertThat(catalog.deadLetters()).isEqualTo(new TopicSpec("x.deadletter.v1", 4, false, 30L * 24 * 3600 * 1000,
                "the failed record's key", SchemaResources.DEAD_LETTER));
        assertThat(catalog.all()).contains(catalog.deadLetters());
    }

    /**
     * SMCP sessions and signing keys: one partition, compacted and kept forever, so that any worker rebuilds every
     * live session and every node's key from the topic; whatever the partition count of the rest.
     */
    @Test
    void smcpSessionsAreARegistryOfOnePartitionKeptCompacted() {
        TopicCatalog catalog = new TopicCatalog("x", 4);
        assertThat(catalog.smcpSessions()).isEqualTo(new TopicSpec("x.smcp.sessions.v1", 1, true, -1,
                "session id (UUID), or jwk:<kid> for a signing key", SchemaResources.SMCP_SESSION));
        assertThat(catalog.smcpSessions().configs())
                .isEqualTo(Map.of("cleanup.policy", "compact", "min.compaction.lag.ms", "0"));
        assertThat(catalog.smcpSessions().key()).contains(SmcpSigningKey.KEY_PREFIX);
        assertThat(catalog.all()).contains(catalog.smcpSessions());
        assertThat(TopicCatalog.defaults().smcpSessions().name()).isEqualTo("aegis.smcp.sessions.v1");
        assertThat(SchemaResources.load(catalog.smcpSessions().valueSchema())).contains("\"$schema\"");
    }

    @Test
    void everyTopicsValueSchemaShips() {
        for (TopicSpec spec : TopicCatalog.defaults().all()) {
            assertThat(SchemaResources.load(spec.valueSchema())).as(spec.name()).contains("\"$schema\"");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "two words", "a/b", "topic:1", "ä"})
    void anInvalidPrefixIsRejected(String prefix) {
        assertThatThrownBy(() -> new TopicCatalog(prefix, 6)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("prefix");
    }

    @Test
    void aNullPrefixOrNoPartitionsIsRejected() {
        assertThatThrownBy(() -> new TopicCatalog(null, 6)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> new TopicCatalog("aegis", 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void cloudEventHeadersCarryEveryAttribute() {
        Instant time = Instant.parse("2026-03-05T14:00:00.123Z");
        String subject = "3f1c1a8e-6a57-4d8e-9b7a-0c1d2e3f4a5b";

        Headers headers = CloudEventHeaders.of("ai.aegis.execution.execution_started.v1", "/aegis/worker/host-1",
                subject, time);

        assertThat(CloudEventHeaders.get(headers, CloudEventHeaders.ID)).hasValueSatisfying(
                id -> assertThat(Ids.isUuid(id)).isTrue());
        assertThat(CloudEventHeaders.get(headers, CloudEventHeaders.TYPE))
                .contains("ai.aegis.execution.execution_started.v1");
        assertThat(CloudEventHeaders.get(headers, CloudEventHeaders.SOURCE)).contains("/aegis/worker/host-1");
        assertThat(CloudEventHeaders.get(headers, CloudEventHeaders.TIME)).contains("2026-03-05T14:00:00.123Z");
        assertThat(CloudEventHeaders.get(headers, CloudEventHeaders.SPECVERSION)).contains("1.0");
        assertThat(CloudEventHeaders.get(headers, CloudEventHeaders.SUBJECT)).contains(subject);
        assertThat(CloudEventHeaders.get(headers, CloudEventHeaders.CONTENT_TYPE)).contains("application/json");
        assertThat(Arrays.stream(headers.toArray()).map(Header::key)).containsExactlyInAnyOrder(
                "ce_id", "ce_type", "ce_source", "ce_time", "ce_specversion", "ce_subject", "content-type");
        // Values are plain UTF-8 strings, readable with print.headers=true.
        assertThat(new String(headers.lastHeader("ce_specversion").value(), StandardCharsets.UTF_8)).isEqualTo("1.0");
    }

    @Test
    void eachEventGetsItsOwnIdAndTheSubjectIsOptional() {
        Instant time = Instant.parse("2026-03-05T14:00:00Z");
        Headers first = CloudEventHeaders.of("ai.aegis.agent.agent_deleted.v1", "/aegis/ingress/a", null, time);
        Headers second = CloudEventHeaders.of("ai.aegis.agent.agent_deleted.v1", "/aegis/ingress/a", null, time);

        assertThat(CloudEventHeaders.get(first, CloudEventHeaders.ID))
                .isNotEqualTo(CloudEventHeaders.get(second, CloudEventHeaders.ID));
        assertThat(first.lastHeader(CloudEventHeaders.SUBJECT)).isNull();
        assertThat(CloudEventHeaders.get(first, CloudEventHeaders.SUBJECT)).isEmpty();
        assertThat(CloudEventHeaders.get(new RecordHeaders(), CloudEventHeaders.TYPE)).isEmpty();
    }

    @Test
    void cloudEventTypesFollowTheDocumentedNaming() {
        org.assertj.core.api.Assertions.assertThat(CloudEventHeaders.type("execution", "execution_started"))
                .isEqualTo("ai.aegis.execution.execution_started.v1");
        org.assertj.core.api.Assertions.assertThat(CloudEventHeaders.type("agent", "agent_deleted"))
                .isEqualTo("ai.aegis.agent.agent_deleted.v1");
    }
}
