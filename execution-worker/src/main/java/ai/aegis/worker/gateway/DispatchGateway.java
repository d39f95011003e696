package ai.aegis.worker.gateway;

import ai.aegis.schemas.Ids;
import ai.aegis.schemas.agent.ToolCatalog;
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
 * <p>Unlike the original, every tool call of a batch runs, in order, before the model is asked again.
 */
public final class DispatchGateway {

    public static final int MAX_TOOL_ROUNDS = 50;
    public static final int DEFAULT_COMMAND_TIMEOUT_SECS = 60;
    public static final int MAX_COMMAND_TIMEOUT_SECS = 300;
    public static final String SYSTEM_POLICY = """
            You are an autonomous agent running inside a sandbox managed by the Aegis orchestrator.
            Use only the tools you are given. A tool that is missing is blocked by policy: do not try to work around \
            it. Commands run in the sandbox's /workspace directory. When the task is done, answer with the final \
            result as plain text.""";

    private static final ToolSchema CMD_RUN = new ToolSchema(ToolCatalog.CMD_RUN,
            "Run a command in the agent's sandbox and return its exit code, stdout and stderr. Give `command` as a "
                    + "shell command line, or `command` plus `args` to run a program with an argument vector.",
            Json.tree("""
                    {"type":"object","properties":{
                      "command":{"type":"string","description":"program, or a shell command line when args is absent"},
                      "args":{"type":"array","items":{"type":"string"},"description":"arguments, passed without a shell"},
                      "timeout_secs":{"type":"integer","minimum":1,"maximum":300}},
                     "required":["command"]}"""));

    private final InnerLoopRegistry sessions;
    private final ModelRegistry models;
    private final long maxOutputBytes;

    public DispatchGateway(InnerLoopRegistry sessions, ModelRegistry models, long maxOutputBytes) {
        this.sessions = sessions;
        this.models = models;
        this.maxOutputBytes = maxOutputBytes;
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
        InnerLoopSession session = sessions.get(executionId.toLowerCase())
                .filter(s -> s.tokenMatches(token) && !s.closed())
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
        int exitCode = m.path("exit_code").asInt(-1);
        String stdout = m.path("stdout").asText("");
        String stderr = m.path("stderr").asText("");
        boolean truncated = m.path("truncated").asBoolean(false);
        long durationMs = m.path("duration_ms").asLong((System.nanoTime() - pending.dispatchedAtNanos()) / 1_000_000);
        ObjectNode result = Json.object();
        result.put("exit_code", exitCode);
        result.put("stdout", stdout);
        result.put("stderr", stderr);
        s.conversation.add(ChatMessage.tool(pending.call().id(), result.toString()));
        s.emit(new ExecutionEvent.ToolCall(s.executionId(), s.iteration(), pending.call().id(),
                pending.call().name(), pending.call().arguments(), summary(exitCode, stdout, stderr), exitCode,
                truncated, durationMs, Json.now()));
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

    /** @return a dispatch for the sandbox, or null when the call was answered here (refused or invalid) */
    private ObjectNode toolCall(InnerLoopSession s, ToolCallRequest call) {
        if (!s.tools().contains(call.name())) {
            s.conversation.add(ChatMessage.tool(call.id(), "Tool execution error: tool '" + call.name()
                    + "' is not available to this agent"));
            return null;
        }
        JsonNode args = call.arguments() == null ? Json.object() : call.arguments();
        String command = args.path("command").asText("");
        if (command.isBlank()) {
            s.conversation.add(ChatMessage.tool(call.id(), "Tool execution error: cmd.run needs a 'command'"));
            return null;
        }
        int timeout = Math.min(MAX_COMMAND_TIMEOUT_SECS, Math.max(1, args.path("timeout_secs")
                .asInt(DEFAULT_COMMAND_TIMEOUT_SECS)));
        String dispatchId = UUID.randomUUID().toString();
        s.pending = new InnerLoopSession.PendingDispatch(dispatchId, call, System.nanoTime());
        ObjectNode d = Json.object();
        d.put("type", "dispatch");
        d.put("dispatch_id", dispatchId);
        d.put("action", "exec");
        d.put("command", command);
        ArrayNode argv = d.putArray("args");
        if (args.path("args").isArray()) {
            args.path("args").forEach(a -> argv.add(a.asText()));
        }
        d.put("cwd", "/workspace");
        d.putObject("env_additions");
        d.put("timeout_secs", timeout);
        d.put("max_output_bytes", maxOutputBytes);
        return d;
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
        List<ToolSchema> tools = new ArrayList<>();
        if (s.tools().contains(ToolCatalog.CMD_RUN)) {
            tools.add(CMD_RUN);
        }
        try {
            LlmResponse r = model.provider().chat(new LlmRequest(model.model(), List.copyOf(s.conversation), tools));
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

    private static String summary(int exitCode, String stdout, String stderr) {
        String out = stdout.strip();
        String err = stderr.strip();
        String text = "exit " + exitCode + (out.isEmpty() ? "" : ": " + out) + (err.isEmpty() ? "" : " [stderr: " + err + "]");
        return text.length() > 500 ? text.substring(0, 497) + "..." : text;
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
