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
import ai.aegis.schemas.stimulus.StimulusSources;
import ai.aegis.schemas.stimulus.StimulusStatus;
import ai.aegis.schemas.workflow.WorkflowCommand;
import ai.aegis.schemas.workflow.WorkflowRecord;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The routing of an accepted stimulus as pure functions of (the stimulus or the classification under way, the
 * {@link Tables} it is routed by, a source of fresh ids, the time) to the records to write. It knows nothing of Kafka;
 * {@link StimulusRoutingTopology} looks up, writes the records in one transaction, and keeps the classifications
 * under way and their deadlines.
 * <ul>
 *   <li><b>A direct route whose workflow is registered</b> ({@link #route}): starts a run of it ({@link StartWorkflow}:
 *       a {@link WorkflowCommand#start} under a fresh workflow execution id, with the stimulus as its input,
 *       {@link #input}), outcome {@link StimulusStatus#ACCEPTED}, the reply accepted with the run's id.
 *   <li><b>A direct route whose workflow is not registered</b> (deleted since the route was set): refused,
 *       {@value #UNKNOWN_WORKFLOW}.
 *   <li><b>No route and no RouterAgent</b>: refused, {@value #NO_ROUTER_CONFIGURED}.
 *   <li><b>No route but a RouterAgent</b>: the classification begins: an execution of the agent (a snapshot of it, as
 *       deployed now) on the stimulus ({@link RequestExecution}, its input {@link #routerInput}) and the
 *       {@link StimulusClassification} that waits for it ({@link AwaitClassification}); no outcome and no reply yet. A
 *       router agent that is not deployed refuses at once, {@value #ROUTER_AGENT_FAILED}.
 *   <li><b>The RouterAgent's execution ended</b> ({@link #classified}): completed, its final output read as
 *       {@code {"workflow": name, "confidence": x}} ({@link #verdict}); an answer that is not that is refused,
 *       {@value #CLASSIFICATION_PARSE_ERROR}; a confidence below the threshold, {@value #CLASSIFICATION_FAILED}; the
 *       name is a registered workflow, or else (as in the original) a route key whose route names one, or refused,
 *       {@value #UNKNOWN_WORKFLOW}; then the run starts as for a direct route. Failed, cancelled or timed out:
 *       refused, {@value #ROUTER_AGENT_FAILED}.
 *   <li><b>The deadline passed first</b> ({@link #timedOut}): refused, {@value #ROUTER_AGENT_FAILED}, and the
 *       execution is cancelled ({@link CancelExecution}), so that a late answer starts nothing and costs no more.
 * </ul>
 * Every stimulus ends with one {@link Outcome} (keyed {@link StimulusKeys#recordKey}, for the deduplication stage and
 * the readers of decisions); a {@link Reply} only when it has a complete {@code reply_to}, as otherwise nobody waits
 * for one. The effects come in the order: commands, outcome, reply.
 */
public final class StimulusRouting {

    /** {@code error.code}: the route (or the RouterAgent) names a workflow that is not registered. */
    public static final String UNKNOWN_WORKFLOW = "unknown_workflow";
    /** {@code error.code}: no direct route for the source, and no RouterAgent to classify the stimulus. */
    public static final String NO_ROUTER_CONFIGURED = "no_router_configured";
    /** {@code error.code}: the RouterAgent did not answer: not deployed, failed, cancelled, timed out. */
    public static final String ROUTER_AGENT_FAILED = "router_agent_failed";
    /** {@code error.code}: the RouterAgent's confidence is below the threshold. */
    public static final String CLASSIFICATION_FAILED = "classification_failed";
    /** {@code error.code}: the RouterAgent's answer is not {@code {"workflow": name, "confidence": x}}. */
    public static final String CLASSIFICATION_PARSE_ERROR = "classification_parse_error";
    /** At most this many workflow names are offered to the RouterAgent in its input. */
    public static final int MAX_WORKFLOWS_OFFERED = 100;

    private StimulusRouting() {
    }

    /** What a stimulus is routed by: the three global tables of the routing stage and the agent registry. */
    public interface Tables {

        /** The direct route of a source (normalised). */
        Optional<StimulusRoute> route(String source);

        Optional<StimulusRouter> router();

        Optional<WorkflowRecord> workflow(String name);

        Optional<AgentRecord> agent(String id);

        /** The names of the registered workflows, in a stable order, at most {@code limit}. */
        List<String> workflowNames(int limit);
    }

    /** A record to write, in order. */
    public sealed interface Effect permits StartWorkflow, RequestExecution, AwaitClassification, CancelExecution,
            Outcome, Reply {
    }

    /** To the workflow commands topic, keyed by the new run's id. */
    public record StartWorkflow(String workflowExecutionId, WorkflowCommand command) implements Effect {
    }

    /** To the execution requests topic, keyed by the RouterAgent's execution id. */
    public record RequestExecution(String executionId, ExecutionRequest request) implements Effect {
    }

    /** To the classifications topic, keyed by the RouterAgent's execution id. */
    public record AwaitClassification(String executionId, StimulusClassification classification) implements Effect {
    }

    /** To the execution commands topic, keyed by the execution id. */
    public record CancelExecution(String executionId, ExecutionCommand command) implements Effect {
    }

    /** To the outcomes topic, keyed {@link StimulusKeys#recordKey} of the stimulus. */
    public record Outcome(String key, StimulusOutcome outcome) implements Effect {
    }

    /** To the replies topic, keyed by {@code to}: the ingress node that waits for it. */
    public record Reply(String to, StimulusReply reply) implements Effect {
    }

    /** @param effects in order: the commands (if any), the outcome (if the stimulus is answered), the reply */
    public record Result(List<Effect> effects) {

        public Result {
            effects = List.copyOf(effects);
        }

        public Optional<StartWorkflow> started() {
            return first(StartWorkflow.class);
        }

        public Optional<RequestExecution> execution() {
            return first(RequestExecution.class);
        }

        public Optional<AwaitClassification> awaiting() {
            return first(AwaitClassification.class);
        }

        public Optional<CancelExecution> cancel() {
            return first(CancelExecution.class);
        }

        public Optional<Outcome> outcome() {
            return first(Outcome.class);
        }

        public Optional<Reply> reply() {
            return first(Reply.class);
        }

        private <T extends Effect> Optional<T> first(Class<T> type) {
            return effects.stream().filter(type::isInstance).map(type::cast).findFirst();
        }
    }

    /** What the RouterAgent answered: a workflow (or route key) and its confidence in [0, 1]. */
    public record Verdict(String workflow, double confidence) {
    }

    /**
     * Routes one accepted stimulus by its direct route, or begins its classification.
     *
     * @param request the stimulus, its source normalised
     * @param ids     fresh ids (asked only for a run or an execution started)
     * @param now     the time of what is written
     */
    public static Result route(StimulusRequest request, Tables tables, Supplier<String> ids, Instant now) {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(tables, "tables");
        Objects.requireNonNull(ids, "ids");
        Objects.requireNonNull(now, "now");
        String source = request.source();
        Optional<StimulusRoute> route = tables.route(source);
        if (route.isPresent()) {
            String name = route.get().workflow();
            Optional<WorkflowRecord> workflow = tables.workflow(name);
            Decision decision = new Decision(RoutingMode.DIRECT, name, null, null);
            if (workflow.isEmpty()) {
                return refused(request, decision, UNKNOWN_WORKFLOW, "the route of source '" + source
                        + "' names the workflow '" + name + "', which is not registered", now, List.of());
            }
            return start(request, decision, workflow.get(), ids, now);
        }
        Optional<StimulusRouter> router = tables.router();
        if (router.isEmpty()) {
            return refused(request, new Decision(null, null, null, null), NO_ROUTER_CONFIGURED,
                    "no direct route for source '" + source + "' and no RouterAgent configured", now, List.of());
        }
        StimulusRouter setting = router.get();
        Optional<AgentRecord> agent = tables.agent(setting.agentId());
        if (agent.isEmpty()) {
            return refused(request, new Decision(RoutingMode.CLASSIFIED, null, null, null), ROUTER_AGENT_FAILED,
                    "the RouterAgent " + setting.agentId() + " is not deployed", now, List.of());
        }
        String executionId = Objects.requireNonNull(ids.get(), "execution id");
        ExecutionRequest execution = ExecutionRequest.forAgent(agent.get()).setExecutionId(executionId)
                .setInput(routerInput(request, tables.workflowNames(MAX_WORKFLOWS_OFFERED))).setRequestedAt(now)
                .build();
        StimulusClassification classification = new StimulusClassification(executionId, request, setting.agentId(),
                setting.confidenceThreshold(), setting.timeoutSeconds(), now.plusSeconds(setting.timeoutSeconds()),
                now);
        return new Result(List.of(new RequestExecution(executionId, execution),
                new AwaitClassification(executionId, classification)));
    }

    /**
     * The RouterAgent's execution ended: routes the stimulus by its answer, or refuses it.
     *
     * @param end a terminal event of the classification's execution
     */
    public static Result classified(StimulusClassification classification, ExecutionEvent end, Tables tables,
                                    Supplier<String> ids, Instant now) {
        Objects.requireNonNull(classification, "classification");
        Objects.requireNonNull(end, "end");
        if (!end.terminal()) {
            throw new IllegalArgumentException("not the end of an execution: " + end.type());
        }
        StimulusRequest request = classification.stimulus();
        String executionId = classification.executionId();
        Decision unanswered = new Decision(RoutingMode.CLASSIFIED, null, null, executionId);
        if (!(end instanceof ExecutionEvent.ExecutionCompleted completed)) {
            return refused(request, unanswered, ROUTER_AGENT_FAILED, "the RouterAgent's execution " + executionId
                    + " ended without an answer: " + describe(end), now, List.of());
        }
        Verdict verdict;
        try {
            verdict = verdict(completed.finalOutput());
        } catch (IllegalArgumentException e) {
            return refused(request, unanswered, CLASSIFICATION_PARSE_ERROR, "the RouterAgent's answer is not "
                    + "{\"workflow\": name, \"confidence\": x}: " + e.getMessage(), now, List.of());
        }
        Decision answered = new Decision(RoutingMode.CLASSIFIED, verdict.workflow(), verdict.confidence(),
                executionId);
        if (verdict.confidence() < classification.confidenceThreshold()) {
            return refused(request, answered, CLASSIFICATION_FAILED, String.format(Locale.ROOT,
                    "the RouterAgent chose '%s' with confidence %s, below the threshold %s", verdict.workflow(),
                    verdict.confidence(), classification.confidenceThreshold()), now, List.of());
        }
        Optional<WorkflowRecord> workflow = resolve(verdict.workflow(), tables);
        if (workflow.isEmpty()) {
            return refused(request, answered, UNKNOWN_WORKFLOW, "the RouterAgent chose '" + verdict.workflow()
                    + "', which is neither a registered workflow nor a route", now, List.of());
        }
        return start(request, new Decision(RoutingMode.CLASSIFIED, workflow.get().name(), verdict.confidence(),
                executionId), workflow.get(), ids, now);
    }

    /** The classification's deadline passed before its execution ended: refused, and the execution cancelled. */
    public static Result timedOut(StimulusClassification classification, Instant now) {
        Objects.requireNonNull(classification, "classification");
        String executionId = classification.executionId();
        String message = "the RouterAgent did not answer within " + classification.timeoutSeconds() + " s";
        CancelExecution cancel = new CancelExecution(executionId, new ExecutionCommand(ExecutionCommand.CANCEL,
                executionId, "stimulus classification timed out: " + message, now));
        return refused(classification.stimulus(), new Decision(RoutingMode.CLASSIFIED, null, null, executionId),
                ROUTER_AGENT_FAILED, message + " (execution " + executionId + ", cancelled)", now, List.of(cancel));
    }

    /**
     * Reads the RouterAgent's final output: a JSON object with a non-blank {@code workflow} (or {@code workflow_id},
     * as the original's documentation says) and a {@code confidence} number in [0, 1]. Models often wrap JSON in
     * prose or a Markdown fence, so the object may stand between its first '{' and its last '}'.
     *
     * @throws IllegalArgumentException saying what is wrong with it
     */
    public static Verdict verdict(String finalOutput) {
        if (finalOutput == null || finalOutput.isBlank()) {
            throw new IllegalArgumentException("the answer is empty");
        }
        String text = finalOutput.strip();
        int open = text.indexOf('{');
        int close = text.lastIndexOf('}');
        if (open < 0 || close < open) {
            throw new IllegalArgumentException("no JSON object in the answer");
        }
        JsonNode answer;
        try {
            answer = Json.tree(text.substring(open, close + 1));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("the answer's object is not valid JSON");
        }
        JsonNode workflow = answer.hasNonNull("workflow") ? answer.get("workflow") : answer.get("workflow_id");
        if (workflow == null || !workflow.isTextual() || workflow.asText().isBlank()) {
            throw new IllegalArgumentException("no \"workflow\" text");
        }
        JsonNode confidence = answer.get("confidence");
        if (confidence == null || !confidence.isNumber()) {
            throw new IllegalArgumentException("no \"confidence\" number");
        }
        double value = confidence.asDouble();
        if (!(value >= 0 && value <= 1)) {
            throw new IllegalArgumentException("\"confidence\" " + value + " is not between 0 and 1");
        }
        return new Verdict(workflow.asText().strip(), value);
    }

    /**
     * The input of the run a stimulus starts ({@code {{workflow.input}}}), the text of {@code {"stimulus_content":
     * content, "stimulus_source": source, "stimulus_id": id, "headers": {..}}}, plus {@code "content_encoding":
     * "base64"} when the content is base64 (it is kept as given, not decoded). A missing content is the empty text,
     * missing headers an empty object.
     */
    public static String input(StimulusRequest request) {
        return stimulusInput(request).toString();
    }

    /**
     * The input of the RouterAgent's execution: the stimulus as a run gets it ({@link #input}), plus
     * {@code "workflows"}, the names of registered workflows it may choose from (at most
     * {@value #MAX_WORKFLOWS_OFFERED}).
     */
    public static String routerInput(StimulusRequest request, List<String> workflows) {
        ObjectNode input = stimulusInput(request);
        ArrayNode names = input.putArray("workflows");
        workflows.stream().limit(MAX_WORKFLOWS_OFFERED).forEach(names::add);
        return input.toString();
    }

    private static ObjectNode stimulusInput(StimulusRequest request) {
        ObjectNode input = Json.object();
        input.put("stimulus_content", request.content() == null ? "" : request.content());
        input.put("stimulus_source", request.source());
        input.put("stimulus_id", request.stimulusId());
        ObjectNode headers = input.putObject("headers");
        Map<String, String> given = request.headers() == null ? Map.of() : request.headers();
        given.forEach(headers::put); // sorted by the request
        if (StimulusRequest.BASE64.equalsIgnoreCase(request.contentEncoding())) {
            input.put("content_encoding", StimulusRequest.BASE64);
        }
        return input;
    }

    /** A registered workflow of that name, or else the workflow of the route of that key. */
    private static Optional<WorkflowRecord> resolve(String name, Tables tables) {
        Optional<WorkflowRecord> byName = tables.workflow(name);
        if (byName.isPresent()) {
            return byName;
        }
        String routeKey;
        try {
            routeKey = StimulusSources.normalise(name);
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        return tables.route(routeKey).flatMap(route -> tables.workflow(route.workflow()));
    }

    private static String describe(ExecutionEvent end) {
        return switch (end) {
            case ExecutionEvent.ExecutionFailed f -> "failed (" + f.reason() + ")";
            case ExecutionEvent.ExecutionCancelled c -> "cancelled (" + c.reason() + ")";
            case ExecutionEvent.ExecutionTimedOut t -> "timed out after " + t.timeoutSeconds() + " s";
            default -> end.type();
        };
    }

    /** What the outcome tells of the decision. */
    private record Decision(RoutingMode mode, String workflow, Double confidence, String routerExecutionId) {
    }

    private static Result start(StimulusRequest request, Decision decision, WorkflowRecord workflow,
                                Supplier<String> ids, Instant now) {
        String id = Objects.requireNonNull(ids.get(), "workflow execution id");
        WorkflowCommand command = WorkflowCommand.start(id, workflow, input(request), null, now);
        List<Effect> effects = new ArrayList<>();
        effects.add(new StartWorkflow(id, command));
        effects.add(outcome(request, StimulusStatus.ACCEPTED, decision, id, null, now));
        replyTo(request).ifPresent(to -> effects.add(new Reply(to.nodeId(), new StimulusReply(
                to.correlationId(), request.stimulusId(), StimulusStatus.ACCEPTED, id, null, null, now))));
        return new Result(effects);
    }

    private static Result refused(StimulusRequest request, Decision decision, String code, String message,
                                  Instant now, List<Effect> first) {
        StimulusReply.ReplyError error = new StimulusReply.ReplyError(code, message);
        List<Effect> effects = new ArrayList<>(first);
        effects.add(outcome(request, StimulusStatus.REFUSED, decision, null, error, now));
        replyTo(request).ifPresent(to -> effects.add(new Reply(to.nodeId(), new StimulusReply(to.correlationId(),
                request.stimulusId(), StimulusStatus.REFUSED, null, null, error, now))));
        return new Result(effects);
    }

    private static Outcome outcome(StimulusRequest request, StimulusStatus status, Decision decision,
                                   String workflowExecutionId, StimulusReply.ReplyError error, Instant now) {
        String key = StimulusKeys.recordKey(request);
        return new Outcome(key, new StimulusOutcome(key, request.stimulusId(), status, now, request.source(),
                decision.mode(), decision.workflow(), workflowExecutionId, decision.confidence(),
                decision.routerExecutionId(), error, null));
    }

    /** Nobody to answer without a complete {@code reply_to}: then no reply is written. */
    private static Optional<StimulusRequest.ReplyTo> replyTo(StimulusRequest request) {
        StimulusRequest.ReplyTo to = request.replyTo();
        if (to == null || to.nodeId() == null || to.nodeId().isBlank() || to.correlationId() == null) {
            return Optional.empty();
        }
        return Optional.of(to);
    }
}
