package ai.aegis.topology.stimulus;

import ai.aegis.schemas.agent.AgentRecord;
import ai.aegis.schemas.execution.ExecutionCommand;
import ai.aegis.schemas.execution.ExecutionEvent;
import ai.aegis.schemas.execution.ExecutionRequest;
import ai.aegis.schemas.json.Json;
import ai.aegis.schemas.stimulus.RoutingMode;
import ai.aegis.schemas.stimulus.StimulusClassification;
import ai.aegis.schemas.stimulus.StimulusKeys;
import ai.aegis.schemas.stimulus.StimulusOutcome;
import ai.aegis.schemas.stimulus.StimulusReply;
import ai.aegis.schemas.stimulus.StimulusRequest;
import ai.aegis.schemas.stimulus.StimulusRoute;
import ai.aegis.schemas.stimulus.StimulusRouter;
import ai.aegis.schemas.stimulus.StimulusStatus;
import ai.aegis.schemas.workflow.WorkflowCommand;
import ai.aegis.schemas.workflow.WorkflowRecord;
import ai.aegis.topology.stimulus.StimulusRouting.AwaitClassification;
import ai.aegis.topology.stimulus.StimulusRouting.CancelExecution;
import ai.aegis.topology.stimulus.StimulusRouting.Outcome;
import ai.aegis.topology.stimulus.StimulusRouting.Reply;
import ai.aegis.topology.stimulus.StimulusRouting.RequestExecution;
import ai.aegis.topology.stimulus.StimulusRouting.Result;
import ai.aegis.topology.stimulus.StimulusRouting.StartWorkflow;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The routing rules on their own: every decision, direct and classified, with and without somebody to answer. */
class StimulusRoutingTest {

    private static final Instant NOW = Instant.parse("2026-03-05T14:00:01.456Z");
    private static final Instant LATER = NOW.plusSeconds(4);
    private static final String RUN = "7b0f3a52-1c2d-4e3f-9a8b-0c1d2e3f4a5b";
    private static final String ROUTER_RUN = "c3d2e1f0-9a8b-4c7d-8e6f-5a4b3c2d1e0f";
    private static final Supplier<String> IDS = () -> RUN;
    private static final Supplier<String> NO_IDS = () -> {
        throw new AssertionError("no run may be started");
    };
    private static final StimulusRequest.ReplyTo REPLY_TO = new StimulusRequest.ReplyTo("node-a", "corr-1");
    private static final StimulusRoute ROUTE = new StimulusRoute("github", "triage", NOW.minusSeconds(60));
    private static final String AGENT_ID = "0f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a";
    private static final StimulusRouter ROUTER = new StimulusRouter(AGENT_ID, 0.7, 30, NOW.minusSeconds(60));
    private static final AgentRecord AGENT = new AgentRecord(AGENT_ID, "router", "1.0.0", "classifies", "active",
            List.of(), Map.of(), NOW.minusSeconds(600), NOW.minusSeconds(600), Json.tree("{\"spec\":{}}"));
    private static final WorkflowRecord TRIAGE = workflow("triage");
    private static final WorkflowRecord BILLING = workflow("billing");

    private static WorkflowRecord workflow(String name) {
        return new WorkflowRecord(name, "1.0.0", name + " things", Json.tree("{\"steps\":[]}"), "steps: []",
                NOW.minusSeconds(3600), NOW.minusSeconds(3600));
    }

    /** The tables as plain maps. */
    private static final class Tables implements StimulusRouting.Tables {
        final Map<String, StimulusRoute> routes = new TreeMap<>();
        final Map<String, WorkflowRecord> workflows = new TreeMap<>();
        final Map<String, AgentRecord> agents = new TreeMap<>();
        StimulusRouter router;

        Tables route(StimulusRoute route) {
            routes.put(route.source(), route);
            return this;
        }

        Tables register(WorkflowRecord... records) {
            for (WorkflowRecord w : records) {
                workflows.put(w.name(), w);
            }
            return this;
        }

        Tables router(StimulusRouter router, AgentRecord agent) {
            this.router = router;
            if (agent != null) {
                agents.put(agent.id(), agent);
            }
            return this;
        }

        @Override
        public Optional<StimulusRoute> route(String source) {
            return Optional.ofNullable(routes.get(source));
        }

        @Override
        public Optional<StimulusRouter> router() {
            return Optional.ofNullable(router);
        }

        @Override
        public Optional<WorkflowRecord> workflow(String name) {
            return Optional.ofNullable(workflows.get(name));
        }

        @Override
        public Optional<AgentRecord> agent(String id) {
            return Optional.ofNullable(agents.get(id));
        }

        @Override
        public List<String> workflowNames(int limit) {
            return new ArrayList<>(workflows.keySet()).subList(0, Math.min(limit, workflows.size()));
        }
    }

    private static StimulusRequest request(String idempotencyKey, String content, String encoding,
                                           StimulusRequest.ReplyTo replyTo) {
        return new StimulusRequest("6a1f0c2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b", "github", idempotencyKey, content,
                encoding, Map.of("x-github-event", "push", "content-type", "application/json"),
                NOW.minusSeconds(1), replyTo);
    }

    private static StimulusRequest request() {
        return request("evt-1", "{\"n\":1}", StimulusRequest.UTF_8, REPLY_TO);
    }

    private static StimulusClassification classification(StimulusRequest request, double threshold) {
        return new StimulusClassification(ROUTER_RUN, request, AGENT_ID, threshold, 30, NOW.plusSeconds(30), NOW);
    }

    private static ExecutionEvent answered(String output) {
        return new ExecutionEvent.ExecutionCompleted(ROUTER_RUN, output, 1, LATER);
    }

    private static StimulusReply.ReplyError error(Result result) {
        return result.reply().orElseThrow().reply().error();
    }

    // ---- direct routes -----------------------------------------------------------------------------------------

    @Test
    void aRouteToARegisteredWorkflowStartsARunWithTheStimulusAsInputAndAcceptsIt() {
        StimulusRequest request = request();
        Result result = StimulusRouting.route(request, new Tables().route(ROUTE).register(TRIAGE), IDS, NOW);

        String key = StimulusKeys.dedupKey("github", "evt-1");
        assertThat(result.effects()).containsExactly(
                new StartWorkflow(RUN, WorkflowCommand.start(RUN, TRIAGE, StimulusRouting.input(request), null, NOW)),
                new Outcome(key, new StimulusOutcome(key, request.stimulusId(), StimulusStatus.ACCEPTED, NOW,
                        "github", RoutingMode.DIRECT, "triage", RUN, null, null, null, null)),
                new Reply("node-a", new StimulusReply("corr-1", request.stimulusId(), StimulusStatus.ACCEPTED, RUN,
                        null, null, NOW)));
        JsonNode input = Json.tree(result.started().orElseThrow().command().input());
        assertThat(input).isEqualTo(Json.tree("{\"stimulus_content\":\"{\\\"n\\\":1}\",\"stimulus_source\":"
                + "\"github\",\"stimulus_id\":\"6a1f0c2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b\",\"headers\":"
                + "{\"content-type\":\"application/json\",\"x-github-event\":\"push\"}}"));
    }

    @Test
    void aDirectRouteWinsOverTheRouter() {
        Result result = StimulusRouting.route(request(), new Tables().route(ROUTE).register(TRIAGE)
                .router(ROUTER, AGENT), IDS, NOW);

        assertThat(result.started()).isPresent();
        assertThat(result.execution()).isEmpty();
        assertThat(result.awaiting()).isEmpty();
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
        Result result = StimulusRouting.route(request, new Tables().route(ROUTE).router(ROUTER, AGENT), NO_IDS, NOW);

        assertThat(result.started()).isEmpty();
        StimulusOutcome outcome = result.outcome().orElseThrow().outcome();
        assertThat(outcome.outcome()).isEqualTo(StimulusStatus.REFUSED);
        assertThat(outcome.mode()).isEqualTo(RoutingMode.DIRECT);
        assertThat(outcome.workflow()).isEqualTo("triage");
        assertThat(outcome.error().code()).isEqualTo(StimulusRouting.UNKNOWN_WORKFLOW);
        StimulusReply reply = result.reply().orElseThrow().reply();
        assertThat(reply.outcome()).isEqualTo(StimulusStatus.REFUSED);
        assertThat(reply.workflowExecutionId()).isNull();
        assertThat(reply.error().code()).isEqualTo(StimulusRouting.UNKNOWN_WORKFLOW);
        assertThat(reply.error().message()).contains("'triage'");
    }

    @Test
    void noRouteAndNoRouterIsRefusedAsNoRouterConfigured() {
        StimulusRequest request = request();
        Result result = StimulusRouting.route(request, new Tables().register(TRIAGE), NO_IDS, NOW);

        String key = StimulusKeys.recordKey(request);
        StimulusReply.ReplyError error = new StimulusReply.ReplyError(StimulusRouting.NO_ROUTER_CONFIGURED,
                "no direct route for source 'github' and no RouterAgent configured");
        assertThat(result.effects()).containsExactly(
                new Outcome(key, new StimulusOutcome(key, request.stimulusId(), StimulusStatus.REFUSED, NOW,
                        "github", null, null, null, null, null, error, null)),
                new Reply("node-a", new StimulusReply("corr-1", request.stimulusId(), StimulusStatus.REFUSED, null,
                        null, error, NOW)));
    }

    // ---- classification ----------------------------------------------------------------------------------------

    @Test
    void noRouteButARouterStartsTheAgentOnTheStimulusAndWaitsWithoutAnswering() {
        StimulusRequest request = request();
        Result result = StimulusRouting.route(request, new Tables().register(TRIAGE, BILLING).router(ROUTER, AGENT),
                () -> ROUTER_RUN, NOW);

        ExecutionRequest execution = result.execution().orElseThrow().request();
        assertThat(result.effects()).containsExactly(new RequestExecution(ROUTER_RUN, execution),
                new AwaitClassification(ROUTER_RUN, new StimulusClassification(ROUTER_RUN, request, AGENT_ID, 0.7,
                        30, NOW.plusSeconds(30), NOW)));
        // an ordinary execution of the agent as deployed now
        assertThat(execution.executionId()).isEqualTo(ROUTER_RUN);
        assertThat(execution.agent()).isEqualTo(AGENT);
        assertThat(execution.agentId()).isEqualTo(AGENT_ID);
        assertThat(execution.requestedAt()).isEqualTo(NOW);
        assertThat(execution.workflow()).isNull();
        // its input: the stimulus as a run gets it, and the workflows to choose from
        JsonNode input = Json.tree(execution.input());
        assertThat(input.get("stimulus_id").asText()).isEqualTo(request.stimulusId());
        assertThat(input.get("stimulus_content").asText()).isEqualTo("{\"n\":1}");
        assertThat(input.get("headers").get("x-github-event").asText()).isEqualTo("push");
        assertThat(input.get("workflows")).isEqualTo(Json.tree("[\"billing\",\"triage\"]"));
    }

    @Test
    void aRouterAgentThatIsNotDeployedIsRefusedAtOnceAsRouterAgentFailed() {
        Result result = StimulusRouting.route(request(), new Tables().register(TRIAGE).router(ROUTER, null), NO_IDS,
                NOW);

        assertThat(result.execution()).isEmpty();
        assertThat(result.outcome().orElseThrow().outcome().mode()).isEqualTo(RoutingMode.CLASSIFIED);
        assertThat(error(result)).isEqualTo(new StimulusReply.ReplyError(StimulusRouting.ROUTER_AGENT_FAILED,
                "the RouterAgent " + AGENT_ID + " is not deployed"));
    }

    @Test
    void anAnswerAtOrAboveTheThresholdStartsTheWorkflowItNames() {
        StimulusRequest request = request();
        Tables tables = new Tables().register(TRIAGE, BILLING).router(ROUTER, AGENT);
        for (String output : List.of("{\"workflow\":\"billing\",\"confidence\":0.7}",
                "Here is my answer:\n```json\n{\"workflow\": \"billing\", \"confidence\": 0.93}\n```",
                "{\"workflow_id\":\"billing\",\"confidence\":1}")) {
            Result result = StimulusRouting.classified(classification(request, 0.7), answered(output), tables, IDS,
                    LATER);

            String key = StimulusKeys.recordKey(request);
            double confidence = StimulusRouting.verdict(output).confidence();
            assertThat(result.effects()).as(output).containsExactly(
                    new StartWorkflow(RUN, WorkflowCommand.start(RUN, BILLING, StimulusRouting.input(request), null,
                            LATER)),
                    new Outcome(key, new StimulusOutcome(key, request.stimulusId(), StimulusStatus.ACCEPTED, LATER,
                            "github", RoutingMode.CLASSIFIED, "billing", RUN, confidence, ROUTER_RUN, null, null)),
                    new Reply("node-a", new StimulusReply("corr-1", request.stimulusId(), StimulusStatus.ACCEPTED,
                            RUN, null, null, LATER)));
        }
    }

    @Test
    void anAnswerBelowTheThresholdIsRefusedAsClassificationFailed() {
        Result result = StimulusRouting.classified(classification(request(), 0.7),
                answered("{\"workflow\":\"billing\",\"confidence\":0.69}"),
                new Tables().register(BILLING).router(ROUTER, AGENT), NO_IDS, LATER);

        assertThat(result.started()).isEmpty();
        assertThat(error(result)).isEqualTo(new StimulusReply.ReplyError(StimulusRouting.CLASSIFICATION_FAILED,
                "the RouterAgent chose 'billing' with confidence 0.69, below the threshold 0.7"));
        StimulusOutcome outcome = result.outcome().orElseThrow().outcome();
        assertThat(outcome.outcome()).isEqualTo(StimulusStatus.REFUSED);
        assertThat(outcome.confidence()).isEqualTo(0.69);
        assertThat(outcome.workflow()).isEqualTo("billing");
        assertThat(outcome.routerExecutionId()).isEqualTo(ROUTER_RUN);
    }

    @Test
    void theThresholdIsTheOneOfTheClassificationNotOfTheRouterNow() {
        StimulusRouter stricter = new StimulusRouter(AGENT_ID, 0.99, 30, NOW);
        Result result = StimulusRouting.classified(classification(request(), 0.5),
                answered("{\"workflow\":\"billing\",\"confidence\":0.6}"),
                new Tables().register(BILLING).router(stricter, AGENT), IDS, LATER);

        assertThat(result.started()).isPresent();
    }

    @Test
    void aNameThatIsNoWorkflowIsLookedUpAsARouteKeyAsInTheOriginal() {
        Tables tables = new Tables().register(TRIAGE).route(new StimulusRoute("issues", "triage", NOW))
                .router(ROUTER, AGENT);
        Result byRoute = StimulusRouting.classified(classification(request(), 0.7),
                answered("{\"workflow\":\"Issues\",\"confidence\":0.9}"), tables, IDS, LATER);

        assertThat(byRoute.started().orElseThrow().command().workflow().name()).isEqualTo("triage");
        assertThat(byRoute.outcome().orElseThrow().outcome().workflow()).isEqualTo("triage");

        Result unknown = StimulusRouting.classified(classification(request(), 0.7),
                answered("{\"workflow\":\"refunds\",\"confidence\":0.9}"), tables, NO_IDS, LATER);
        assertThat(unknown.started()).isEmpty();
        assertThat(error(unknown).code()).isEqualTo(StimulusRouting.UNKNOWN_WORKFLOW);
        assertThat(error(unknown).message()).contains("'refunds'");
        // a name that is not even a valid source is simply unknown
        Result odd = StimulusRouting.classified(classification(request(), 0.7),
                answered("{\"workflow\":\"a/b\",\"confidence\":0.9}"), tables, NO_IDS, LATER);
        assertThat(error(odd).code()).isEqualTo(StimulusRouting.UNKNOWN_WORKFLOW);
    }

    @Test
    void anAnswerThatIsNotAVerdictIsRefusedAsClassificationParseError() {
        Tables tables = new Tables().register(BILLING).router(ROUTER, AGENT);
        Map<String, String> cases = Map.of(
                "", "the answer is empty",
                "billing, surely", "no JSON object in the answer",
                "{workflow: billing}", "the answer's object is not valid JSON",
                "{\"confidence\":0.9}", "no \"workflow\" text",
                "{\"workflow\":\" \",\"confidence\":0.9}", "no \"workflow\" text",
                "{\"workflow\":7,\"confidence\":0.9}", "no \"workflow\" text",
                "{\"workflow\":\"billing\"}", "no \"confidence\" number",
                "{\"workflow\":\"billing\",\"confidence\":\"high\"}", "no \"confidence\" number",
                "{\"workflow\":\"billing\",\"confidence\":1.5}", "\"confidence\" 1.5 is not between 0 and 1",
                "{\"workflow\":\"billing\",\"confidence\":-0.1}", "\"confidence\" -0.1 is not between 0 and 1");
        cases.forEach((output, why) -> {
            Result result = StimulusRouting.classified(classification(request(), 0.7), answered(output), tables,
                    NO_IDS, LATER);
            assertThat(result.started()).as(output).isEmpty();
            assertThat(error(result).code()).as(output).isEqualTo(StimulusRouting.CLASSIFICATION_PARSE_ERROR);
            assertThat(error(result).message()).as(output).endsWith(": " + why);
            assertThat(result.outcome().orElseThrow().outcome().routerExecutionId()).isEqualTo(ROUTER_RUN);
        });
        assertThat(StimulusRouting.classified(classification(request(), 0.7),
                new ExecutionEvent.ExecutionCompleted(ROUTER_RUN, null, 1, LATER), tables, NO_IDS, LATER)
                .reply().orElseThrow().reply().error().code()).isEqualTo(StimulusRouting.CLASSIFICATION_PARSE_ERROR);
    }

    @Test
    void anExecutionThatFailedWasCancelledOrTimedOutIsRefusedAsRouterAgentFailed() {
        Tables tables = new Tables().register(BILLING).router(ROUTER, AGENT);
        Map<ExecutionEvent, String> ends = Map.of(
                new ExecutionEvent.ExecutionFailed(ROUTER_RUN, "model unavailable", 1, LATER),
                "failed (model unavailable)",
                new ExecutionEvent.ExecutionCancelled(ROUTER_RUN, "by an operator", LATER),
                "cancelled (by an operator)",
                new ExecutionEvent.ExecutionTimedOut(ROUTER_RUN, 20, 3, LATER),
                "timed out after 20 s");
        ends.forEach((end, why) -> {
            Result result = StimulusRouting.classified(classification(request(), 0.7), end, tables, NO_IDS, LATER);
            assertThat(result.started()).isEmpty();
            assertThat(error(result)).isEqualTo(new StimulusReply.ReplyError(StimulusRouting.ROUTER_AGENT_FAILED,
                    "the RouterAgent's execution " + ROUTER_RUN + " ended without an answer: " + why));
        });
        assertThatThrownBy(() -> StimulusRouting.classified(classification(request(), 0.7),
                new ExecutionEvent.ExecutionStarted(ROUTER_RUN, AGENT_ID, LATER), tables, NO_IDS, LATER))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aClassificationPastItsDeadlineIsRefusedAndItsExecutionCancelled() {
        StimulusRequest request = request();
        Result result = StimulusRouting.timedOut(classification(request, 0.7), NOW.plusSeconds(31));

        String key = StimulusKeys.recordKey(request);
        StimulusReply.ReplyError error = new StimulusReply.ReplyError(StimulusRouting.ROUTER_AGENT_FAILED,
                "the RouterAgent did not answer within 30 s (execution " + ROUTER_RUN + ", cancelled)");
        Instant at = NOW.plusSeconds(31);
        assertThat(result.effects()).containsExactly(
                new CancelExecution(ROUTER_RUN, new ExecutionCommand(ExecutionCommand.CANCEL, ROUTER_RUN,
                        "stimulus classification timed out: the RouterAgent did not answer within 30 s", at)),
                new Outcome(key, new StimulusOutcome(key, request.stimulusId(), StimulusStatus.REFUSED, at, "github",
                        RoutingMode.CLASSIFIED, null, null, null, ROUTER_RUN, error, null)),
                new Reply("node-a", new StimulusReply("corr-1", request.stimulusId(), StimulusStatus.REFUSED, null,
                        null, error, at)));
    }

    @Test
    void theRouterIsOfferedAtMostAHundredWorkflowNames() {
        Tables tables = new Tables().router(ROUTER, AGENT);
        for (int i = 0; i < 150; i++) {
            tables.register(workflow(String.format("wf-%03d", i)));
        }
        Result result = StimulusRouting.route(request(), tables, () -> ROUTER_RUN, NOW);

        JsonNode offered = Json.tree(result.execution().orElseThrow().request().input()).get("workflows");
        assertThat(offered).hasSize(StimulusRouting.MAX_WORKFLOWS_OFFERED);
        assertThat(offered.get(0).asText()).isEqualTo("wf-000");
    }

    // ---- who is answered ---------------------------------------------------------------------------------------

    @Test
    void withoutReplyToTheSameDecisionsWriteNoReplyButTheOutcome() {
        StimulusRequest noReplyTo = request("evt-1", "x", StimulusRequest.UTF_8, null);
        StimulusRequest incomplete = request("evt-1", "x", StimulusRequest.UTF_8,
                new StimulusRequest.ReplyTo(" ", "corr-1"));
        for (StimulusRequest request : new StimulusRequest[] {noReplyTo, incomplete}) {
            Result started = StimulusRouting.route(request, new Tables().route(ROUTE).register(TRIAGE), IDS, NOW);
            assertThat(started.effects()).hasSize(2);
            assertThat(started.started()).isPresent();
            assertThat(started.outcome().orElseThrow().outcome().outcome()).isEqualTo(StimulusStatus.ACCEPTED);
            assertThat(started.reply()).isEmpty();

            for (Result refused : new Result[] {
                    StimulusRouting.route(request, new Tables().route(ROUTE), NO_IDS, NOW),
                    StimulusRouting.route(request, new Tables(), NO_IDS, NOW),
                    StimulusRouting.route(request, new Tables().router(ROUTER, null), NO_IDS, NOW),
                    StimulusRouting.classified(classification(request, 0.7), answered("no"), new Tables(), NO_IDS,
                            LATER)}) {
                assertThat(refused.effects()).singleElement().isInstanceOf(Outcome.class);
                assertThat(refused.outcome().orElseThrow().outcome().outcome()).isEqualTo(StimulusStatus.REFUSED);
            }
            Result expired = StimulusRouting.timedOut(classification(request, 0.7), LATER);
            assertThat(expired.effects()).hasSize(2);
            assertThat(expired.cancel()).isPresent();
            assertThat(expired.reply()).isEmpty();
        }
    }

    @Test
    void aStimulusWithoutIdempotencyKeyHasItsOutcomeUnderItsStimulusId() {
        StimulusRequest request = request(null, "x", StimulusRequest.UTF_8, REPLY_TO);
        Result result = StimulusRouting.route(request, new Tables(), NO_IDS, NOW);

        assertThat(result.outcome().orElseThrow().key()).isEqualTo(request.stimulusId());
        assertThat(result.outcome().orElseThrow().outcome().dedupKey()).isEqualTo(request.stimulusId());
    }
}
