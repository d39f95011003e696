package ai.aegis.topology.stimulus;

import ai.aegis.schemas.json.Json;
import ai.aegis.schemas.stimulus.StimulusKeys;
import ai.aegis.schemas.stimulus.StimulusOutcome;
import ai.aegis.schemas.stimulus.StimulusReply;
import ai.aegis.schemas.stimulus.StimulusRequest;
import ai.aegis.schemas.stimulus.StimulusRoute;
import ai.aegis.schemas.stimulus.StimulusRouter;
import ai.aegis.schemas.stimulus.StimulusStatus;
import ai.aegis.schemas.workflow.WorkflowCommand;
import ai.aegis.schemas.workflow.WorkflowRecord;
import ai.aegis.topology.stimulus.StimulusRouting.Outcome;
import ai.aegis.topology.stimulus.StimulusRouting.Reply;
import ai.aegis.topology.stimulus.StimulusRouting.Result;
import ai.aegis.topology.stimulus.StimulusRouting.StartWorkflow;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;

/** The routing rule on its own: every decision, with and without somebody to answer. */
class StimulusRoutingTest {

    private static final Instant NOW = Instant.parse("2026-03-05T14:00:01.456Z");
    private static final String RUN = "7b0f3a52-1c2d-4e3f-9a8b-0c1d2e3f4a5b";
    private static final Supplier<String> IDS = () -> RUN;
    private static final Supplier<String> NO_IDS = () -> {
        throw new AssertionError("no run may be started");
    };
    private static final StimulusRequest.ReplyTo REPLY_TO = new StimulusRequest.ReplyTo("node-a", "corr-1");
    private static final StimulusRoute ROUTE = new StimulusRoute("github", "triage", NOW.minusSeconds(60));
    private static final StimulusRouter ROUTER = new StimulusRouter("0f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a", 0.7, 30,
            NOW.minusSeconds(60));
    private static final WorkflowRecord TRIAGE = new WorkflowRecord("triage", "1.0.0", "triage issues",
            Json.tree("{\"steps\":[]}"), "steps: []", NOW.minusSeconds(3600), NOW.minusSeconds(3600));

    private static StimulusRequest request(String idempotencyKey, String content, String encoding,
                                           StimulusRequest.ReplyTo replyTo) {
        return new StimulusRequest("6a1f0c2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b", "github", idempotencyKey, content,
                encoding, Map.of("x-github-event", "push", "content-type", "application/json"),
                NOW.minusSeconds(1), replyTo);
    }

    private static StimulusRequest request() {
        return request("evt-1", "{\"n\":1}", StimulusRequest.UTF_8, REPLY_TO);
    }

    @Test
    void aRouteToARegisteredWorkflowStartsARunWithTheStimulusAsInputAndAcceptsIt() {
        StimulusRequest request = request();
        Result result = StimulusRouting.route(request, Optional.of(ROUTE), Optional.empty(), Optional.of(TRIAGE),
                IDS, NOW);

        String key = StimulusKeys.dedupKey("github", "evt-1");
        assertThat(result.effects()).containsExactly(
                new StartWorkflow(RUN, WorkflowCommand.start(RUN, TRIAGE, StimulusRouting.input(request), null, NOW)),
                new Outcome(key, new StimulusOutcome(key, request.stimulusId(), StimulusStatus.ACCEPTED, NOW)),
                new Reply("node-a", new StimulusReply("corr-1", request.stimulusId(), StimulusStatus.ACCEPTED, RUN,
                        null, null, NOW)));
        JsonNode input = Json.tree(result.started().orElseThrow().command().input());
        assertThat(input).isEqualTo(Json.tree("{\"stimulus_content\":\"{\\\"n\\\":1}\",\"stimulus_source\":"
                + "\"github\",\"stimulus_id\":\"6a1f0c2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b\",\"headers\":"
                + "{\"content-type\":\"application/json\",\"x-github-event\":\"push\"}}"));
    }

    @Test
    void theInputOfABase64StimulusKeepsTheContentAsGivenAndSaysItIsBase64() {
        StimulusRequest request = request(null, "AAEC/w==", StimulusRequest.BASE64, REPLY_TO);
        JsonNode input = Json.tree(StimulusRouting.input(request));

        assertThat(input.get("stimulus_content").asText()).isEqualTo("AAEC/w==");
        assertThat(input.get("content_encoding").asText()).isEqualTo("base64");
        assertThat(Json.tree(StimulusRouting.input(request())).has("content_encoding")).isFalse();
    }

    @Test
    void anEmptyOrMissingContentAndMissingHeadersAreAnEmptyTextAndAnEmptyObject() {
        StimulusRequest request = new StimulusRequest("id-1", "github", null, null, StimulusRequest.UTF_8, null, NOW,
                null);
        JsonNode input = Json.tree(StimulusRouting.input(request));

        assertThat(input.get("stimulus_content").asText()).isEmpty();
        assertThat(input.get("headers").isObject()).isTrue();
        assertThat(input.get("headers").isEmpty()).isTrue();
    }

    @Test
    void aRouteToAWorkflowThatIsNotRegisteredIsRefusedAsUnknownWorkflow() {
        StimulusRequest request = request();
        Result result = StimulusRouting.route(request, Optional.of(ROUTE), Optional.of(ROUTER), Optional.empty(),
                NO_IDS, NOW);

        assertThat(result.started()).isEmpty();
        assertThat(result.outcome().orElseThrow().outcome().outcome()).isEqualTo(StimulusStatus.REFUSED);
        StimulusReply reply = result.reply().orElseThrow().reply();
        assertThat(reply.outcome()).isEqualTo(StimulusStatus.REFUSED);
        assertThat(reply.workflowExecutionId()).isNull();
        assertThat(reply.error().code()).isEqualTo(StimulusRouting.UNKNOWN_WORKFLOW);
        assertThat(reply.error().message()).contains("'triage'");
    }

    @Test
    void noRouteAndNoRouterIsRefusedAsNoRouterConfigured() {
        StimulusRequest request = request();
        Result result = StimulusRouting.route(request, Optional.empty(), Optional.empty(), Optional.empty(),
                NO_IDS, NOW);

        String key = StimulusKeys.recordKey(request);
        assertThat(result.effects()).containsExactly(
                new Outcome(key, new StimulusOutcome(key, request.stimulusId(), StimulusStatus.REFUSED, NOW)),
                new Reply("node-a", new StimulusReply("corr-1", request.stimulusId(), StimulusStatus.REFUSED, null,
                        null, new StimulusReply.ReplyError(StimulusRouting.NO_ROUTER_CONFIGURED,
                        "no direct route for source 'github' and no RouterAgent configured"), NOW)));
    }

    @Test
    void noRouteButARouterIsRefusedAsRouterAgentFailedForNow() {
        Result result = StimulusRouting.route(request(), Optional.empty(), Optional.of(ROUTER), Optional.empty(),
                NO_IDS, NOW);

        assertThat(result.started()).isEmpty();
        assertThat(result.outcome().orElseThrow().outcome().outcome()).isEqualTo(StimulusStatus.REFUSED);
        assertThat(result.reply().orElseThrow().reply().error()).isEqualTo(new StimulusReply.ReplyError(
                StimulusRouting.ROUTER_AGENT_FAILED, "classification by a RouterAgent is not available yet; "
                + "set a direct route for source 'github'"));
    }

    @Test
    void withoutReplyToTheSameDecisionsWriteNoReplyButTheOutcome() {
        StimulusRequest noReplyTo = request("evt-1", "x", StimulusRequest.UTF_8, null);
        StimulusRequest incomplete = request("evt-1", "x", StimulusRequest.UTF_8,
                new StimulusRequest.ReplyTo(" ", "corr-1"));
        for (StimulusRequest request : new StimulusRequest[] {noReplyTo, incomplete}) {
            Result started = StimulusRouting.route(request, Optional.of(ROUTE), Optional.empty(),
                    Optional.of(TRIAGE), IDS, NOW);
            assertThat(started.effects()).hasSize(2);
            assertThat(started.started()).isPresent();
            assertThat(started.outcome().orElseThrow().outcome().outcome()).isEqualTo(StimulusStatus.ACCEPTED);
            assertThat(started.reply()).isEmpty();

            for (Result refused : new Result[] {
                    StimulusRouting.route(request, Optional.of(ROUTE), Optional.empty(), Optional.empty(), NO_IDS, NOW),
                    StimulusRouting.route(request, Optional.empty(), Optional.empty(), Optional.empty(), NO_IDS, NOW),
                    StimulusRouting.route(request, Optional.empty(), Optional.of(ROUTER), Optional.empty(), NO_IDS,
                            NOW)}) {
                assertThat(refused.effects()).singleElement().isInstanceOf(Outcome.class);
                assertThat(refused.outcome().orElseThrow().outcome().outcome()).isEqualTo(StimulusStatus.REFUSED);
            }
        }
    }

    @Test
    void aStimulusWithoutIdempotencyKeyHasItsOutcomeUnderItsStimulusId() {
        StimulusRequest request = request(null, "x", StimulusRequest.UTF_8, REPLY_TO);
        Result result = StimulusRouting.route(request, Optional.empty(), Optional.empty(), Optional.empty(),
                NO_IDS, NOW);

        assertThat(result.outcome().orElseThrow().key()).isEqualTo(request.stimulusId());
        assertThat(result.outcome().orElseThrow().outcome().dedupKey()).isEqualTo(request.stimulusId());
    }
}
