package ai.aegis.topology.workflow;

import ai.aegis.schemas.approval.ApprovalCommand;
import ai.aegis.schemas.approval.ApprovalDecision;
import ai.aegis.schemas.approval.ApprovalRequest;
import ai.aegis.schemas.approval.ApprovalStatus;
import ai.aegis.schemas.execution.ExecutionRequest;
import ai.aegis.schemas.json.Json;
import ai.aegis.schemas.workflow.TransitionCondition;
import ai.aegis.schemas.workflow.WorkflowCommand;
import ai.aegis.schemas.workflow.WorkflowEvent;
import ai.aegis.schemas.workflow.WorkflowManifest;
import ai.aegis.schemas.workflow.WorkflowManifest.AgentState;
import ai.aegis.schemas.workflow.WorkflowManifest.ContainerRunState;
import ai.aegis.schemas.workflow.WorkflowManifest.HumanState;
import ai.aegis.schemas.workflow.WorkflowManifest.Resources;
import ai.aegis.schemas.workflow.WorkflowManifest.State;
import ai.aegis.schemas.workflow.WorkflowManifest.Transition;
import ai.aegis.schemas.workflow.WorkflowManifests;
import ai.aegis.schemas.workflow.WorkflowRecord;
import ai.aegis.schemas.workflow.WorkflowStatus;
import ai.aegis.schemas.workflow.WorkflowStepResult;
import ai.aegis.schemas.workflow.WorkflowTemplates;
import ai.aegis.topology.workflow.WorkflowState.Pending;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * The workflow finite-state machine as a pure function: (stored {@link WorkflowState}, one input) to (new state, the
 * records to write). It knows nothing of Kafka; {@link WorkflowEngineTopology} stores the state and writes the
 * effects, atomically.
 *
 * <h2>Semantics (the original system's workflow FSM, with the differences said below)</h2>
 * <ul>
 *   <li><b>Start</b> builds the blackboard ({@link WorkflowTemplates#initialBlackboard}), emits
 *       {@code workflow_started} and enters {@code spec.initial_state}. A second start of the same id is ignored
 *       while the run's state exists; once the engine has purged a finished run, the topology recognises a start
 *       read again (see {@link WorkflowEngineTopology}).
 *       A workflow snapshot whose manifest no longer validates fails the run right after {@code workflow_started}.
 *   <li><b>Entering</b> a state counts a step (1-based, the {@code step} of {@code state_entered}, of the
 *       {@link ExecutionRequest.WorkflowLink} and of the awaited {@link WorkflowStepResult}) and starts its work:
 *       an Agent state requests an execution ({@code agent_name} = the state's agent, {@code agent} left null for the
 *       worker to resolve, {@code input} = the rendered template); a ContainerRun state requests a container run
 *       (command and env values rendered; the request's {@code input} is the command line, for people); a Human
 *       state requests an approval (prompt rendered) and emits {@code approval_requested}. Every state runs its work,
 *       terminal ones included: the run completes only once a terminal state has exited.
 *   <li><b>Step limit</b>: at most {@code spec.max_steps} entries (default and ceiling 1000); the entry that would
 *       exceed it fails the run with {@code "step limit N reached"} (state name: the state it tried to enter).
 *   <li><b>Exiting</b> a state writes {@code blackboard[STATE]} ({@link WorkflowTemplates#stateEntry}), emits
 *       {@code state_exited} and takes the first transition (manifest order) whose condition holds. A terminal state
 *       completes the run ({@code workflow_completed} with the final blackboard). When no transition holds the run
 *       FAILS with {@code "no transition of state X matched"}: deliberately stricter than the reference, whose
 *       interpreter silently completes the run in that case and so reports success for a path nobody designed.
 *   <li><b>Conditions</b>: see {@link #holds}. A condition not allowed after the state's kind
 *       ({@link TransitionCondition#allowedAfter}; the registry refuses such manifests) never holds.
 *   <li><b>Human states</b>: the response is the decision's {@code response}, or {@code approved}/{@code rejected}
 *       when an approve/reject left it out. Status is success when the response means yes
 *       ({@link TransitionCondition#meansYes}), so {@code on_success} follows an approval. The blackboard entry keeps
 *       the documented layout ({@code output} = the response string, as in {@code {{review.output}}}), its
 *       {@code feedback} is the transition's rendered feedback, else the approver's feedback (approve) or the
 *       rejection reason (reject); the whole decision is added under {@code decision}:
 *       {@code {response, feedback, reason, decided_by, timed_out}}. A timeout without a response (no
 *       {@code default_response}) exits the state with failure and fails the run with
 *       {@link WorkflowEvent#HUMAN_INPUT_TIMEOUT}.
 *   <li><b>Agent and ContainerRun results</b>: success is {@link WorkflowStepResult#succeeded()}; {@code output} is
 *       the step's output, or its error when it failed without output (so the next state can read why);
 *       {@code score} comes from the result, {@code exit_code} too (ContainerRun only).
 *   <li><b>Late, repeated and foreign inputs</b> are ignored: a result whose step (or execution id) is not the
 *       pending one, a decision for another approval id, anything after the run ended, and any step result,
 *       decision or cancel for a run without state (never started, or purged after its retention).
 *   <li><b>Run attempts</b>: a worker that runs a step's execution again (it took it over from a lost worker) first
 *       announces the new attempt (a step result with status {@code running}); the run remembers the newest
 *       announced attempt of its pending work and from then on ignores results of older attempts, so a frozen worker
 *       that wakes up cannot end the step with its superseded run. An announcement changes nothing else; a result
 *       without an attempt is of the first.
 *   <li><b>Cancel</b> ends a running run with {@code workflow_cancelled} and nothing else: the execution or approval
 *       the current state started is left to finish on its own (its result is then ignored); stopping it is the
 *       ingress's business through the execution commands.
 *   <li>An Agent state's {@code max_iterations} is not passed on: {@code context_overrides} are prompt template
 *       variables, not execution settings, and the request has no field for it yet.
 * </ul>
 *
 * <p>Identifiers (execution ids, approval ids) and times come from the injected supplier and clock, so tests are
 * deterministic. Under exactly-once processing a step that is re-run after a crash draws new ids, but the aborted
 * first attempt was never visible to read_committed consumers, so only one id is ever seen.
 */
public final class WorkflowMachine {

    private static final System.Logger LOG = System.getLogger(WorkflowMachine.class.getName());

    /** {@code workflow_cancelled.reason}: the command carries none. */
    public static final String CANCEL_REASON = "cancelled on request";
    /** Who decides an approval withdrawn by a cancel, and where its (unused) reply goes. */
    public static final String ENGINE = "workflow-engine";

    private final Clock clock;
    private final Supplier<UUID> ids;

    /** Wall clock and random UUIDs. */
    /** Timestamps at millisecond precision, like every other record on the wire ({@code Json.now()}). */
    public WorkflowMachine() {
        this(Clock.tick(Clock.systemUTC(), java.time.Duration.ofMillis(1)), UUID::randomUUID);
    }

    public WorkflowMachine(Clock clock, Supplier<UUID> ids) {
        this.clock = Objects.requireNonNull(clock, "clock");
        this.ids = Objects.requireNonNull(ids, "ids");
    }

    /** What may move a run: a command, the result of a step's execution, the decision on a step's approval. */
    public sealed interface Input permits Command, StepResult, Decision {
    }

    public record Command(WorkflowCommand command) implements Input {
    }

    public record StepResult(WorkflowStepResult result) implements Input {
    }

    public record Decision(ApprovalDecision decision) implements Input {
    }

    /** A record to write, in order. */
    public sealed interface Effect permits SendExecution, SendApproval, WithdrawApproval, Emit {
    }

    /**
     * To the approval commands topic, keyed by approval id: a cancelled run withdraws the question it was waiting on
     * (a rejection by the engine), so that it no longer shows as pending and nobody decides it in vain.
     */
    public record WithdrawApproval(ApprovalCommand command) implements Effect {
    }

    /** To the execution requests topic, keyed by execution id. */
    public record SendExecution(ExecutionRequest request) implements Effect {
    }

    /** To the approval requests topic, keyed by approval id. */
    public record SendApproval(ApprovalRequest request) implements Effect {
    }

    /** To the workflow events topic, keyed by workflow execution id. */
    public record Emit(WorkflowEvent event) implements Effect {
    }

    /**
     * @param state   the state to store: the same instance as the one given when the input was ignored, null when
     *                there was no state and none was created
     * @param effects the records to write, in order; empty when the input was ignored
     */
    public record Result(WorkflowState state, List<Effect> effects) {

        public Result {
            effects = List.copyOf(effects);
        }

        static Result unchanged(WorkflowState state) {
            return new Result(state, List.of());
        }

        public List<WorkflowEvent> events() {
            return effects.stream().filter(Emit.class::isInstance).map(e -> ((Emit) e).event()).toList();
        }

        public List<ExecutionRequest> executionRequests() {
            return effects.stream().filter(SendExecution.class::isInstance)
                    .map(e -> ((SendExecution) e).request()).toList();
        }

        public List<ApprovalRequest> approvalRequests() {
            return effects.stream().filter(SendApproval.class::isInstance)
                    .map(e -> ((SendApproval) e).request()).toList();
        }
    }

    /**
     * Applies one input.
     *
     * @param current the stored state of the run the input is keyed by, null when none
     */
    public Result apply(WorkflowState current, Input input) {
        try {
            return switch (input) {
                case Command c -> WorkflowCommand.CANCEL.equals(c.command().command())
                        ? cancel(current)
                        : WorkflowCommand.START.equals(c.command().command())
                        ? start(current, c.command())
                        : Result.unchanged(current);
                case StepResult r -> stepResult(current, r.result());
                case Decision d -> decision(current, d.decision());
            };
        } catch (RuntimeException e) {
            // A bug or a snapshot nobody foresaw must not stop the engine (it would fail on the same record again
            // after every restart): the run fails visibly instead.
            LOG.log(System.Logger.Level.ERROR, "workflow engine error on " + input, e);
            if (current != null && current.running()) {
                Run run = new Run(current, null);
                run.fail("engine error: " + e, current.currentState());
                return run.result();
            }
            return Result.unchanged(current);
        }
    }

    private Result start(WorkflowState current, WorkflowCommand command) {
        if (current != null || command.workflowExecutionId() == null) {
            return Result.unchanged(current); // a repeated start: the run exists already
        }
        WorkflowRecord workflow = command.workflow();
        Instant now = clock.instant();
        WorkflowManifest manifest = null;
        String invalid = null;
        if (workflow == null) {
            invalid = "start command without a workflow";
        } else {
            try {
                manifest = workflow.parsedManifest();
            } catch (RuntimeException e) {
                invalid = "invalid workflow manifest: " + e.getMessage();
            }
        }
        String name = workflow == null ? null : workflow.name();
        String version = workflow == null ? null : workflow.version();
        ObjectNode board = WorkflowTemplates.initialBlackboard(name, version, command.input(),
                manifest == null ? null : manifest.spec().context(), command.blackboard());
        WorkflowState initial = new WorkflowState(command.workflowExecutionId(), workflow, WorkflowStatus.RUNNING,
                null, 0, board, null, now, command.requestedAt());
        Run run = new Run(initial, manifest);
        run.emit(new WorkflowEvent.WorkflowStarted(initial.workflowExecutionId(), name, version, command.input(), now));
        if (invalid != null) {
            run.fail(invalid, null);
        } else {
            run.enter(manifest.spec().initialState());
        }
        return run.result();
    }

    private Result cancel(WorkflowState current) {
        if (current == null || !current.running()) {
            return Result.unchanged(current);
        }
        Run run = new Run(current, null);
        Pending pending = current.pending();
        if (pending != null && Pending.HUMAN.equals(pending.kind()) && pending.approvalId() != null) {
            run.effects.add(new WithdrawApproval(new ApprovalCommand(ids.get().toString(), pending.approvalId(),
                    ApprovalCommand.REJECT, null, "the workflow was cancelled", ENGINE, ENGINE, run.now)));
        }
        run.end(WorkflowStatus.CANCELLED);
        run.emit(new WorkflowEvent.WorkflowCancelled(current.workflowExecutionId(), CANCEL_REASON, run.now));
        return run.result();
    }

    private Result stepResult(WorkflowState current, WorkflowStepResult result) {
        Pending pending = current == null ? null : current.pending();
        if (current == null || !current.running() || pending == null || Pending.HUMAN.equals(pending.kind())
                || result.step() != pending.step()
                || (result.executionId() != null && !result.executionId().equals(pending.executionId()))
                || result.attemptNumber() < pending.attemptNumber()) {
            return Result.unchanged(current); // late, repeated, foreign, or of a superseded run attempt
        }
        if (result.attemptNotice()) {
            // a worker runs the step's execution again: from now on only that attempt (or a newer one) may end it
            if (result.attemptNumber() == pending.attemptNumber()) {
                return Result.unchanged(current);
            }
            return new Result(new WorkflowState(current.workflowExecutionId(), current.workflow(), current.status(),
                    current.currentState(), current.step(), current.blackboard(),
                    pending.withAttempt(result.attemptNumber()), current.startedAt(), current.requestedAt()),
                    List.of());
        }
        Run run = new Run(current, current.workflow().parsedManifest());
        State state = run.currentState();
        if (state == null) {
            return run.result();
        }
        boolean container = state instanceof ContainerRunState;
        boolean success = result.succeeded();
        String text = result.output();
        if (!success && (text == null || text.isEmpty()) && result.error() != null) {
            text = result.error();
        }
        Integer exitCode = container ? result.exitCode() : null;
        Outcome outcome = new Outcome(success, exitCode, result.score(), null);
        run.exit(state, outcome, TextNode.valueOf(text == null ? "" : text), null, null);
        return run.result();
    }

    private Result decision(WorkflowState current, ApprovalDecision decision) {
        Pending pending = current == null ? null : current.pending();
        if (current == null || !current.running() || pending == null || !Pending.HUMAN.equals(pending.kind())
                || !Objects.equals(pending.approvalId(), decision.approvalId())) {
            return Result.unchanged(current);
        }
        boolean timedOut = decision.outcome() == ApprovalStatus.TIMED_OUT;
        String response = decision.response();
        if (response == null && (decision.outcome() == ApprovalStatus.APPROVED
                || decision.outcome() == ApprovalStatus.REJECTED)) {
            response = decision.outcome().wireName();
        }
        if (response == null && !timedOut) {
            return Result.unchanged(current); // no response and no known outcome: not a decision we can act on
        }
        ObjectNode detail = Json.object();
        detail.put("response", response);
        detail.put("feedback", decision.feedback());
        detail.put("reason", decision.reason());
        detail.put("decided_by", decision.decidedBy());
        detail.put("timed_out", timedOut);

        Run run = new Run(current, current.workflow().parsedManifest());
        State state = run.currentState();
        if (state == null) {
            return run.result();
        }
        if (response == null) {
            run.timedOut(state, detail);
            return run.result();
        }
        String ownFeedback = decision.outcome() == ApprovalStatus.REJECTED && decision.reason() != null
                ? decision.reason() : decision.feedback();
        Outcome outcome = new Outcome(TransitionCondition.meansYes(response), null, null, response);
        run.exit(state, outcome, TextNode.valueOf(response), ownFeedback, detail);
        return run.result();
    }

    /**
     * How a state ended, what conditions are evaluated against.
     *
     * @param response Human states only
     */
    record Outcome(boolean success, Integer exitCode, Double score, String response) {
    }

    /**
     * Whether a transition's condition holds after a state of that kind ended that way:
     * <ul>
     *   <li>{@code always}: yes; {@code on_success} / {@code on_failure}: the outcome's success or its negation;
     *   <li>{@code exit_code_zero}: exit code 0; {@code exit_code_non_zero}: any other code or none (timed out,
     *       failed to start);
     *   <li>{@code score_above} / {@code score_below}: the step's score strictly above / below the threshold; a step
     *       without a score satisfies neither;
     *   <li>{@code input_equals}: the response equals the value exactly; {@code input_equals_yes} and
     *       {@code approved}: {@link TransitionCondition#meansYes}; {@code input_equals_no} and {@code rejected}:
     *       {@link TransitionCondition#meansNo}.
     * </ul>
     */
    static boolean holds(Transition transition, String stateKind, Outcome outcome) {
        TransitionCondition condition = transition.condition();
        if (condition == null || !condition.allowedAfter(stateKind)) {
            return false;
        }
        return switch (condition) {
            case ALWAYS -> true;
            case ON_SUCCESS -> outcome.success();
            case ON_FAILURE -> !outcome.success();
            case EXIT_CODE_ZERO -> outcome.exitCode() != null && outcome.exitCode() == 0;
            case EXIT_CODE_NON_ZERO -> outcome.exitCode() == null || outcome.exitCode() != 0;
            case SCORE_ABOVE -> outcome.score() != null && transition.threshold() != null
                    && outcome.score() > transition.threshold();
            case SCORE_BELOW -> outcome.score() != null && transition.threshold() != null
                    && outcome.score() < transition.threshold();
            case INPUT_EQUALS -> outcome.response() != null && outcome.response().equals(transition.value());
            case INPUT_EQUALS_YES, APPROVED -> TransitionCondition.meansYes(outcome.response());
            case INPUT_EQUALS_NO, REJECTED -> TransitionCondition.meansNo(outcome.response());
        };
    }

    /** One application of the machine: a working copy of the state and the effects so far. */
    private final class Run {

        private final WorkflowState origin;
        private final WorkflowManifest manifest;
        private final Instant now = clock.instant();
        private final List<Effect> effects = new ArrayList<>();
        private WorkflowStatus status;
        private String current;
        private int step;
        private final ObjectNode board;
        private Pending pending;

        Run(WorkflowState origin, WorkflowManifest manifest) {
            this.origin = origin;
            this.manifest = manifest;
            this.status = origin.status();
            this.current = origin.currentState();
            this.step = origin.step();
            this.board = origin.blackboard() == null ? Json.object() : origin.blackboard().deepCopy();
            this.pending = origin.pending();
        }

        String id() {
            return origin.workflowExecutionId();
        }

        Result result() {
            return new Result(new WorkflowState(id(), origin.workflow(), status, current, step, board, pending,
                    origin.startedAt(), origin.requestedAt()), effects);
        }

        void emit(WorkflowEvent event) {
            effects.add(new Emit(event));
        }

        /** The state the run waits in; fails the run when the manifest lost it. */
        State currentState() {
            State state = manifest.state(current).orElse(null);
            if (state == null) {
                fail("state " + current + " does not exist", current);
            }
            return state;
        }

        void end(WorkflowStatus endStatus) {
            status = endStatus;
            pending = null;
        }

        void fail(String reason, String stateName) {
            end(WorkflowStatus.FAILED);
            emit(new WorkflowEvent.WorkflowFailed(id(), reason, stateName, now));
        }

        void enter(String name) {
            State state = manifest.state(name).orElse(null);
            if (state == null) {
                fail("state " + name + " does not exist", name);
                return;
            }
            int limit = stepLimit();
            if (step >= limit) {
                fail("step limit " + limit + " reached", name);
                return;
            }
            step++;
            current = name;
            emit(new WorkflowEvent.StateEntered(id(), name, state.kind(), step, now));
            ExecutionRequest.WorkflowLink link = new ExecutionRequest.WorkflowLink(id(), step, name);
            switch (state) {
                case AgentState agent -> {
                    String executionId = ids.get().toString();
                    effects.add(new SendExecution(ExecutionRequest.forWorkflowStep(link, agent.agent())
                            .setExecutionId(executionId)
                            .setInput(WorkflowTemplates.render(agent.input(), board))
                            .setRequestedAt(now)
                            .build()));
                    pending = new Pending(Pending.AGENT, executionId, null, step);
                }
                case ContainerRunState run -> {
                    String executionId = ids.get().toString();
                    List<String> command = run.command().stream()
                            .map(arg -> WorkflowTemplates.render(arg, board)).toList();
                    Map<String, String> env = new LinkedHashMap<>();
                    if (run.env() != null) {
                        run.env().forEach((k, v) -> env.put(k, WorkflowTemplates.render(v, board)));
                    }
                    Resources r = run.resources();
                    ExecutionRequest.ContainerRun spec = new ExecutionRequest.ContainerRun(run.image(), command, env,
                            r == null ? WorkflowManifests.DEFAULT_CPU_MILLICORES : r.cpuMillicores(),
                            r == null ? WorkflowManifests.DEFAULT_MEMORY_BYTES : r.memoryBytes(),
                            (r == null || r.timeout() == null ? WorkflowManifests.DEFAULT_CONTAINER_TIMEOUT
                                    : r.timeout()).toSeconds(),
                            run.network());
                    effects.add(new SendExecution(ExecutionRequest.forContainerRun(link, spec)
                            .setExecutionId(executionId)
                            .setRequestedAt(now)
                            .build()));
                    pending = new Pending(Pending.CONTAINER, executionId, null, step);
                }
                case HumanState human -> {
                    String approvalId = ids.get().toString();
                    String prompt = WorkflowTemplates.render(human.prompt(), board);
                    long timeoutSeconds = Math.max(1, (human.timeout() == null
                            ? WorkflowManifests.DEFAULT_HUMAN_TIMEOUT : human.timeout()).toSeconds());
                    effects.add(new SendApproval(new ApprovalRequest(approvalId, id(), name, null, prompt, now,
                            timeoutSeconds, human.defaultResponse())));
                    emit(new WorkflowEvent.ApprovalRequested(id(), approvalId, name, prompt, timeoutSeconds, now));
                    pending = new Pending(Pending.HUMAN, null, approvalId, step);
                }
            }
        }

        private int stepLimit() {
            int max = manifest.spec().maxSteps();
            return max <= 0 ? WorkflowManifests.MAX_STEPS : Math.min(max, WorkflowManifests.MAX_STEPS);
        }

        /**
         * Ends the current state: writes its blackboard entry, emits {@code state_exited}, then completes, fails or
         * enters the next state.
         */
        void exit(State state, Outcome outcome, JsonNode output, String ownFeedback, ObjectNode decision) {
            pending = null;
            String status = outcome.success() ? WorkflowEvent.SUCCESS : WorkflowEvent.FAILURE;
            // The transition's feedback template may read this state's fresh entry ({{review.output}},
            // {{review.feedback}}), so the entry is written before the template renders.
            ObjectNode entry = entry(status, output, ownFeedback, outcome, decision);
            board.set(state.name(), entry);
            Transition taken = state.transitions().stream()
                    .filter(t -> holds(t, state.kind(), outcome)).findFirst().orElse(null);
            if (taken != null && taken.feedback() != null) {
                board.set(state.name(), entry(status, output, WorkflowTemplates.render(taken.feedback(), board),
                        outcome, decision));
            }
            emit(new WorkflowEvent.StateExited(id(), state.name(), status, output, now));
            if (state.terminal()) {
                end(WorkflowStatus.COMPLETED);
                emit(new WorkflowEvent.WorkflowCompleted(id(), state.name(), board.deepCopy(), now));
            } else if (taken == null) {
                // The reference completes the run here; a run that took no designed path has not succeeded.
                fail("no transition of state " + state.name() + " matched", state.name());
            } else {
                enter(taken.target());
            }
        }

        /** A Human state timed out and has no default response: the state fails and so does the run. */
        void timedOut(State state, ObjectNode decision) {
            pending = null;
            Outcome outcome = new Outcome(false, null, null, null);
            board.set(state.name(), entry(WorkflowEvent.FAILURE, null, null, outcome, decision));
            emit(new WorkflowEvent.StateExited(id(), state.name(), WorkflowEvent.FAILURE, null, now));
            fail(WorkflowEvent.HUMAN_INPUT_TIMEOUT, state.name());
        }

        private ObjectNode entry(String status, JsonNode output, String feedback, Outcome outcome,
                                 ObjectNode decision) {
            ObjectNode entry = WorkflowTemplates.stateEntry(status, output, feedback, outcome.exitCode(),
                    outcome.score());
            if (decision != null) {
                entry.set("decision", decision);
            }
            return entry;
        }
    }
}
