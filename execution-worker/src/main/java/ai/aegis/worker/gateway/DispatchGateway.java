package ai.aegis.worker.gateway;

import ai.aegis.schemas.Ids;
import ai.aegis.schemas.execution.ExecutionEvent;
import ai.aegis.schemas.json.Json;
import ai.aegis.worker.llm.ChatMessage;
import ai.aegis.worker.llm.LlmException;
import ai.aegis.worker.llm.LlmRequest;
import ai.aegis.worker.llm.LlmResponse;
import ai.aegis.worker.llm.ModelRegistry;
import ai.aegis.worker.llm.ResolvedModel;
import ai.aegis.worker.llm.ToolCallRequest;
import ai.aegis.worker.llm.ToolSchema;
import ai.aegis.worker.smcp.SmcpMetrics;
import ai.aegis.worker.smcp.policy.PolicyViolation;
import ai.aegis.worker.smcp.policy.ViolationType;
import ai.aegis.worker.smcp.tools.ToolDescriptor;
import ai.aegis.worker.smcp.tools.ToolInvoker;
import ai.aegis.worker.smcp.tools.ToolSummaries;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The sandbox's inner loop: {@code bootstrap.py} asks to generate, the model answers with tool calls or a final
 * answer, commands go back to the sandbox as dispatches and their results return to the model, until a final
 * answer or the round limit. Every call must carry the execution's own token (the original had none).
 *
 * <p>Every tool call obeys the iteration's security context through the {@link ToolInvoker}, the same rules as a
 * signed SMCP invocation. When the sandbox attested (SMCP), each call goes back to it as an {@code invoke} action:
 * the sandbox signs it and sends it to {@code /v1/smcp/invoke}, which decides and routes it, and reports the outcome
 * here. Otherwise the gateway decides and routes the call itself: {@code cmd.run} and {@code fs.*} become
 * {@code exec} and {@code fs} actions for the sandbox, MCP tools are called here. A refused call comes back to the
 * model as an error message (and a {@code policy_violation} event), and the loop goes on.
 *
 * <p>Unlike the original, every tool call of a batch runs, in order, before the model is asked again.
 */
public final class DispatchGateway {

    public static final int MAX_TOOL_ROUNDS = 50;
    public static final String SYSTEM_POLICY = """
            You are an autonomous agent running inside a sandbox managed by the Aegis orchestrator.
            Use only the tools you are given; prefer the fs.* tools for files over cmd.run. A tool that is missing \
            or refused is blocked by policy: do not try to work around it. Commands and files are in the sandbox's \
            /workspace directory. When the task is done, answer with the final result as plain text.""";

    private final InnerLoopRegistry sessions;
    private final ModelRegistry models;
    private final ToolInvoker tools;
    private final SmcpMetrics metrics;

    public DispatchGateway(InnerLoopRegistry sessions, ModelRegistry models, ToolInvoker tools, SmcpMetrics metrics) {
        this.sessions = sessions;
        this.models = models;
        this.tools = tools;
        this.metrics = metrics;
    }

    /**
     * Handles one message from a sandbox.
     *
     * @param token the bearer token the sandbox presented (may be null)
     * @return the reply body ({@code dispatch} or {@code final})
     */
    public ObjectNode handle(String token, JsonNode message) throws GatewayException {
        if (message == null || !message.isObject()) {
            throw new GatewayException(400, "body must be a JSON object");
        }
        String type = message.path("type").asText("");
        String executionId = message.path("execution_id").asText(null);
        if (!Ids.isUuid(executionId)) {
            throw new GatewayException(400, "execution_id must be a UUID");
        }
        // Unknown execution and wrong token answer alike, so the gateway does not reveal which executions exist.
        InnerLoopSession session = sessions.authorised(executionId, token)
                .orElseThrow(() -> new GatewayException(401, "missing or invalid execution token"));
        synchronized (session) {
            return switch (type) {
                case "generate" -> generate(session, message);
                case "dispatch_result" -> dispatchResult(session, message);
                default -> throw new GatewayException(400, "unknown message type '" + type + "'");
            };
        }
    }

    private ObjectNode generate(InnerLoopSession s, JsonNode m) throws GatewayException {
        if (s.started) {
            throw new GatewayException(409, "this iteration already started its conversation");
        }
        int iteration = m.path("iteration_number").asInt(s.iteration());
        if (iteration != s.iteration()) {
            throw new GatewayException(409, "iteration_number " + iteration + " does not match the running iteration "
                    + s.iteration());
        }
        String prompt = m.path("prompt").asText("");
        JsonNode smcp = m.get("smcp_session_id");
        if (smcp != null && !smcp.isNull() && !smcp.asText().equals(s.smcpSessionId())) {
            throw new GatewayException(409, "smcp_session_id is not the session this sandbox attested");
        }
        s.viaSmcp = smcp != null && !smcp.isNull();
        s.started = true;
        JsonNode given = m.path("messages");
        if (given.isArray() && !given.isEmpty()) {
            for (JsonNode msg : given) {
                s.conversation.add(new ChatMessage(msg.path("role").asText("user"), msg.path("content").asText(""),
                        null, null));
            }
            if (s.conversation.stream().noneMatch(c -> "system".equals(c.role()))) {
                s.conversation.addFirst(ChatMessage.system(SYSTEM_POLICY));
            }
        } else {
            s.conversation.add(ChatMessage.system(SYSTEM_POLICY));
            s.conversation.add(ChatMessage.user(prompt));
        }
        return advance(s);
    }

    private ObjectNode dispatchResult(InnerLoopSession s, JsonNode m) throws GatewayException {
        InnerLoopSession.PendingDispatch pending = s.pending;
        String dispatchId = m.path("dispatch_id").asText("");
        if (pending == null) {
            throw new GatewayException(409, "no dispatch is pending for this execution");
        }
        if (!pending.dispatchId().equals(dispatchId)) {
            throw new GatewayException(409, "Mismatched dispatch_id");
        }
        s.pending = null;
        ToolCallRequest call = pending.call();
        long durationMs = m.path("duration_ms").asLong((System.nanoTime() - pending.dispatchedAtNanos()) / 1_000_000);
        if (m.hasNonNull("error")) {
            // a file operation the sandbox refused or could not do, or an SMCP invocation that failed or was refused
            JsonNode error = m.get("error");
            String type = error.path("type").asText("error");
            String message = error.path("message").asText(error.isTextual() ? error.asText() : "failed");
            if ("path_traversal_attempt".equals(type)) {
                violation(s, call, PolicyViolation.of(ViolationType.PATH_TRAVERSAL_ATTEMPT, call.name(), message),
                        "sandbox");
            }
            s.conversation.add(ChatMessage.tool(call.id(), "Tool execution error: " + message));
            s.emit(new ExecutionEvent.ToolCall(s.executionId(), s.iteration(), call.id(), call.name(),
                    call.arguments(), ToolSummaries.cut("[" + type + "] " + message), null, false, durationMs, Json.now()));
            return advance(s);
        }
        if (m.has("result")) {
            JsonNode result = m.get("result");
            s.conversation.add(ChatMessage.tool(call.id(), Json.write(result)));
            s.emit(new ExecutionEvent.ToolCall(s.executionId(), s.iteration(), call.id(), call.name(),
                    call.arguments(), ToolSummaries.of(result), null, result.path("truncated").asBoolean(false),
                    durationMs, Json.now()));
            return advance(s);
        }
        int exitCode = m.path("exit_code").asInt(-1);
        String stdout = m.path("stdout").asText("");
        String stderr = m.path("stderr").asText("");
        boolean truncated = m.path("truncated").asBoolean(false);
        ObjectNode result = Json.object();
        result.put("exit_code", exitCode);
        result.put("stdout", stdout);
        result.put("stderr", stderr);
        s.conversation.add(ChatMessage.tool(call.id(), result.toString()));
        s.emit(new ExecutionEvent.ToolCall(s.executionId(), s.iteration(), call.id(), call.name(), call.arguments(),
                ToolSummaries.ofCommand(exitCode, stdout, stderr), exitCode, truncated, durationMs, Json.now()));
        return advance(s);
    }

    /** Runs queued tool calls and model turns until the sandbox is needed or the model is done. */
    private ObjectNode advance(InnerLoopSession s) throws GatewayException {
        while (true) {
            ToolCallRequest call = s.queued.poll();
            if (call != null) {
                ObjectNode dispatch = toolCall(s, call);
                if (dispatch != null) {
                    return dispatch;
                }
                continue;
            }
            if (s.rounds >= MAX_TOOL_ROUNDS) {
                String reason = "the model asked for tools in more than " + MAX_TOOL_ROUNDS + " rounds";
                s.fail(reason);
                throw new GatewayException(422, reason);
            }
            LlmResponse response = callModel(s);
            if (response.hasToolCalls()) {
                s.rounds++;
                s.toolCallsExecuted++;
                s.conversation.add(ChatMessage.assistantToolCalls(response.content(), response.toolCalls()));
                s.queued.addAll(response.toolCalls());
            } else {
                String content = response.content() == null ? "" : response.content();
                s.conversation.add(ChatMessage.assistant(content));
                s.finish(content);
                ObjectNode reply = Json.object();
                reply.put("type", "final");
                reply.put("content", content);
                reply.put("tool_calls_executed", s.toolCallsExecuted);
                reply.set("conversation", conversationJson(s.conversation));
                return reply;
            }
        }
    }

    /** @return a dispatch for the sandbox, or null when the call was answered here (run, refused or invalid) */
    private ObjectNode toolCall(InnerLoopSession s, ToolCallRequest call) {
        JsonNode args = call.arguments() == null ? Json.object() : call.arguments();
        if (s.viaSmcp) {
            // the sandbox signs the call and sends it to /v1/smcp/invoke, where the same invoker decides
            ObjectNode d = dispatch(s, call);
            d.put("action", "invoke");
            d.put("tool_call_id", call.id());
            d.put("name", call.name());
            d.set("arguments", args);
            return d;
        }
        long started = System.nanoTime();
        ToolInvoker.Outcome outcome = tools.invoke(new ToolInvoker.Call(s.executionId(), s.iteration(),
                s.executionId() + "/" + s.iteration(), s.securityContext(), s.tools(), call.name(), args));
        switch (outcome) {
            case ToolInvoker.Dispatch d -> {
                ObjectNode out = dispatch(s, call);
                out.setAll(d.action());
                return out;
            }
            case ToolInvoker.Result r -> {
                s.conversation.add(ChatMessage.tool(call.id(), Json.write(r.value())));
                s.emit(new ExecutionEvent.ToolCall(s.executionId(), s.iteration(), call.id(), call.name(), args,
                        r.summary(), null, false, (System.nanoTime() - started) / 1_000_000, Json.now()));
            }
            case ToolInvoker.Refused r -> {
                violation(s, call, r.violation(), "gateway");
                answered(s, call, args, "[policy_violation] ", "refused by policy: " + r.violation().message(),
                        started);
            }
            case ToolInvoker.Failed f -> answered(s, call, args, "[" + f.error().wireName() + "] ", f.message(),
                    started);
        }
        return null;
    }

    /** A call that did not run: the model is told why, and the {@code tool_call} event says so too. */
    private static void answered(InnerLoopSession s, ToolCallRequest call, JsonNode args, String tag, String why,
                                 long startedNanos) {
        s.conversation.add(ChatMessage.tool(call.id(), "Tool execution error: " + why));
        s.emit(new ExecutionEvent.ToolCall(s.executionId(), s.iteration(), call.id(), call.name(), args,
                ToolSummaries.cut(tag + why), null, false, (System.nanoTime() - startedNanos) / 1_000_000, Json.now()));
    }

    private static ObjectNode dispatch(InnerLoopSession s, ToolCallRequest call) {
        String dispatchId = UUID.randomUUID().toString();
        s.pending = new InnerLoopSession.PendingDispatch(dispatchId, call, System.nanoTime());
        ObjectNode d = Json.object();
        d.put("type", "dispatch");
        d.put("dispatch_id", dispatchId);
        return d;
    }

    private void violation(InnerLoopSession s, ToolCallRequest call, PolicyViolation v, String source) {
        metrics.violation(v.type().wireName());
        s.policyViolation(call.id(), v, source);
    }

    private LlmResponse callModel(InnerLoopSession s) throws GatewayException {
        long started = System.nanoTime();
        ResolvedModel model;
        try {
            model = models.resolve(s.modelAlias());
        } catch (LlmException e) {
            s.fail(e.getMessage());
            throw new GatewayException(422, e.getMessage());
        }
        List<ToolSchema> offered = new ArrayList<>();
        for (ToolDescriptor d : tools.catalogue().offered(s.tools(), s.securityContext())) {
            offered.add(new ToolSchema(d.name(), d.description(), d.inputSchema()));
        }
        try {
            LlmResponse r = model.provider().chat(new LlmRequest(model.model(), List.copyOf(s.conversation), offered));
            s.emit(new ExecutionEvent.LlmInteraction(s.executionId(), s.iteration(), model.provider().name(),
                    r.model() != null ? r.model() : model.model(), r.inputTokens(), r.outputTokens(),
                    r.finishReason(), (System.nanoTime() - started) / 1_000_000, Json.now()));
            return r;
        } catch (LlmException e) {
            String reason = "model '" + s.modelAlias() + "' failed: " + e.getMessage();
            s.fail(reason);
            throw new GatewayException(502, reason);
        }
    }

    private static ArrayNode conversationJson(List<ChatMessage> conversation) {
        ArrayNode out = Json.MAPPER.createArrayNode();
        for (ChatMessage m : conversation) {
            ObjectNode o = out.addObject();
            o.put("role", m.role());
            o.put("content", m.content());
            if (m.toolCallId() != null) {
                o.put("tool_call_id", m.toolCallId());
            }
            if (m.toolCalls() != null) {
                ArrayNode calls = o.putArray("tool_calls");
                for (ToolCallRequest c : m.toolCalls()) {
                    calls.addObject().put("id", c.id()).put("name", c.name()).set("arguments", c.arguments());
                }
            }
        }
        return out;
    }
}
