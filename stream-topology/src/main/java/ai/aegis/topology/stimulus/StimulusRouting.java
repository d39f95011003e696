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
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The routing of an accepted stimulus as a pure function: (the stimulus, the direct route of its source or none,
 * the RouterAgent setting or none, the workflow the route names or none, a source of fresh workflow execution ids,
 * the time) to the records to write. It knows nothing of Kafka; {@link StimulusRoutingTopology} looks the route, the
 * router and the workflow up and writes the records, in one transaction.
 * <ul>
 *   <li><b>A route whose workflow is registered</b>: starts a run of it ({@link StartWorkflow}: a
 *       {@link WorkflowCommand#start} under a fresh workflow execution id, with the stimulus as its input,
 *       {@link #input}, and no blackboard), outcome {@link StimulusStatus#ACCEPTED}, reply accepted with the run's id.
 *   <li><b>A route whose workflow is not registered</b> (deleted since the route was set): refused,
 *       {@value #UNKNOWN_WORKFLOW}.
 *   <li><b>No route and no RouterAgent</b>: refused, {@value #NO_ROUTER_CONFIGURED}.
 *   <li><b>No route but a RouterAgent</b>: refused, {@value #ROUTER_AGENT_FAILED}, as classification is not there yet.
 * </ul>
 * Every stimulus gets its {@link Outcome} (keyed {@link StimulusKeys#recordKey}, for the deduplication stage); a
 * {@link Reply} only when it has a complete {@code reply_to}, as otherwise nobody waits for one. The effects come in
 * the order command, outcome, reply.
 */
public final class StimulusRouting {

    /** {@code error.code}: the route names a workflow that is not registered. */
    public static final String UNKNOWN_WORKFLOW = "unknown_workflow";
    /** {@code error.code}: no direct route for the source, and no RouterAgent to classify the stimulus. */
    public static final String NO_ROUTER_CONFIGURED = "no_router_configured";
    /** {@code error.code}: the RouterAgent did not classify the stimulus (for now: classification is not there). */
    public static final String ROUTER_AGENT_FAILED = "router_agent_failed";

    private StimulusRouting() {
    }

    /** A record to write, in order. */
    public sealed interface Effect permits StartWorkflow, Outcome, Reply {
    }

    /** To the workflow commands topic, keyed by the new run's id. */
    public record StartWorkflow(String workflowExecutionId, WorkflowCommand command) implements Effect {
    }

    /** To the outcomes topic, keyed {@link StimulusKeys#recordKey} of the stimulus. */
    public record Outcome(String key, StimulusOutcome outcome) implements Effect {
    }

    /** To the replies topic, keyed by {@code to}: the ingress node that waits for it. */
    public record Reply(String to, StimulusReply reply) implements Effect {
    }

    /** @param effects in order: the command (if any), the outcome, the reply (if any) */
    public record Result(List<Effect> effects) {

        public Result {
            effects = List.copyOf(effects);
        }

        public Optional<StartWorkflow> started() {
            return effects.stream().filter(StartWorkflow.class::isInstance).map(StartWorkflow.class::cast)
                    .findFirst();
        }

        public Optional<Outcome> outcome() {
            return effects.stream().filter(Outcome.class::isInstance).map(Outcome.class::cast).findFirst();
        }

        public Optional<Reply> reply() {
            return effects.stream().filter(Reply.class::isInstance).map(Reply.class::cast).findFirst();
        }
    }

    /**
     * Routes one accepted stimulus.
     *
     * @param request  the stimulus, its source normalised
     * @param route    the direct route of its source, if one is set
     * @param router   the RouterAgent setting, if one is set
     * @param workflow the registered workflow the route names, if there is a route and it is registered
     * @param ids      fresh workflow execution ids (asked only when a run is started)
     * @param now      {@code requested_at}, {@code routed_at} and {@code replied_at} of what is written
     */
    public static Result route(StimulusRequest request, Optional<StimulusRoute> route,
                               Optional<StimulusRouter> router, Optional<WorkflowRecord> workflow,
                               Supplier<String> ids, Instant now) {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(ids, "ids");
        Objects.requireNonNull(now, "now");
        String source = request.source();
        if (route.isPresent()) {
            String name = route.get().workflow();
            if (workflow.isEmpty()) {
                return refused(request, UNKNOWN_WORKFLOW, "the route of source '" + source + "' names the workflow '"
                        + name + "', which is not registered", now);
            }
            String id = Objects.requireNonNull(ids.get(), "workflow execution id");
            WorkflowCommand command = WorkflowCommand.start(id, workflow.get(), input(request), null, now);
            List<Effect> effects = new ArrayList<>();
            effects.add(new StartWorkflow(id, command));
            effects.add(outcome(request, StimulusStatus.ACCEPTED, now));
            replyTo(request).ifPresent(to -> effects.add(new Reply(to.nodeId(), new StimulusReply(
                    to.correlationId(), request.stimulusId(), StimulusStatus.ACCEPTED, id, null, null, now))));
            return new Result(effects);
        }
        if (router.isEmpty()) {
            return refused(request, NO_ROUTER_CONFIGURED, "no direct route for source '" + source
                    + "' and no RouterAgent configured", now);
        }
        // The RouterAgent's classification replaces this branch: start an execution of router.get().agentId() on
        // the stimulus, and route by its answer (or refuse: classification_failed, router_agent_failed).
        return refused(request, ROUTER_AGENT_FAILED, "classification by a RouterAgent is not available yet; "
                + "set a direct route for source '" + source + "'", now);
    }

    /**
     * The input of the run a stimulus starts ({@code {{workflow.input}}}), the text of {@code {"stimulus_content":
     * content, "stimulus_source": source, "stimulus_id": id, "headers": {..}}}, plus {@code "content_encoding":
     * "base64"} when the content is base64 (it is kept as given, not decoded). A missing content is the empty text,
     * missing headers an empty object.
     */
    public static String input(StimulusRequest request) {
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
        return input.toString();
    }

    private static Result refused(StimulusRequest request, String code, String message, Instant now) {
        List<Effect> effects = new ArrayList<>();
        effects.add(outcome(request, StimulusStatus.REFUSED, now));
        replyTo(request).ifPresent(to -> effects.add(new Reply(to.nodeId(), new StimulusReply(to.correlationId(),
                request.stimulusId(), StimulusStatus.REFUSED, null, null, new StimulusReply.ReplyError(code, message),
                now))));
        return new Result(effects);
    }

    private static Outcome outcome(StimulusRequest request, StimulusStatus status, Instant now) {
        String key = StimulusKeys.recordKey(request);
        return new Outcome(key, new StimulusOutcome(key, request.stimulusId(), status, now));
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
