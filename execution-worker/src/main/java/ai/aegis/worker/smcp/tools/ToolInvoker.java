package ai.aegis.worker.smcp.tools;

import ai.aegis.schemas.agent.ToolCatalog;
import ai.aegis.schemas.json.Json;
import ai.aegis.worker.smcp.SmcpError;
import ai.aegis.worker.smcp.mcp.McpException;
import ai.aegis.worker.smcp.mcp.McpServers;
import ai.aegis.worker.smcp.policy.Capability;
import ai.aegis.worker.smcp.policy.PolicyDecision;
import ai.aegis.worker.smcp.policy.PolicyEngine;
import ai.aegis.worker.smcp.policy.PolicyViolation;
import ai.aegis.worker.smcp.policy.RateLimiter;
import ai.aegis.worker.smcp.policy.SecurityContext;
import ai.aegis.worker.smcp.policy.ViolationType;
import ai.aegis.worker.smcp.policy.WorkspacePaths;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

/**
 * The one rule set every tool call obeys, whether the model asked for it through the dispatch gateway or a sandbox
 * sent it as a signed SMCP invocation: the tool must exist, be listed in the agent's {@code spec.tools}, be allowed by
 * its security context (deny list, capabilities, rate limit) and get arguments its input schema accepts; then it is
 * routed: {@code cmd.run} and {@code fs.*} become actions for the sandbox (dispatches), any other tool goes to its MCP
 * server, whose answer must fit the capability's {@code max_response_size}.
 */
public final class ToolInvoker {

    public static final int DEFAULT_COMMAND_TIMEOUT_SECS = 60;
    public static final int MAX_COMMAND_TIMEOUT_SECS = 300;
    public static final String SANDBOX_WORKDIR = WorkspacePaths.ROOT;

    /**
     * One call.
     *
     * @param rateKey       whose rate limits it counts against (the SMCP session, or the iteration)
     * @param manifestTools the agent's {@code spec.tools}; null when not known here (a session of another node)
     */
    public record Call(String executionId, int iteration, String rateKey, SecurityContext context,
                       List<String> manifestTools, String tool, JsonNode arguments) {
    }

    /** What became of a call. */
    public sealed interface Outcome {
    }

    /** It ran here: its result (for the model) and a short summary (for the {@code tool_call} event). */
    public record Result(JsonNode value, String summary) implements Outcome {
    }

    /** It runs in the sandbox: the action ({@code exec} or {@code fs}), without {@code type} and {@code dispatch_id}. */
    public record Dispatch(ObjectNode action) implements Outcome {
    }

    /** The policy refused it. */
    public record Refused(PolicyViolation violation) implements Outcome {
    }

    /** It could not run: no such tool, bad arguments, the MCP server failed. */
    public record Failed(SmcpError error, String message) implements Outcome {
    }

    private final ToolCatalogue catalogue;
    private final McpServers mcp;
    private final RateLimiter limiter;
    private final long maxOutputBytes;

    /**
     * @param mcp            the MCP servers (null: none)
     * @param maxOutputBytes the worker's cap of what a tool may return (command output, file content, MCP results)
     */
    public ToolInvoker(ToolCatalogue catalogue, McpServers mcp, RateLimiter limiter, long maxOutputBytes) {
        this.catalogue = catalogue;
        this.mcp = mcp;
        this.limiter = limiter;
        this.maxOutputBytes = maxOutputBytes;
    }

    /** The built-in tools only (a worker with no MCP servers), with the worker's output cap. */
    public static ToolInvoker builtinOnly(long maxOutputBytes) {
        return new ToolInvoker(new ToolCatalogue(null), null, new RateLimiter(10_000), maxOutputBytes);
    }

    public ToolCatalogue catalogue() {
        return catalogue;
    }

    public Outcome invoke(Call c) {
        JsonNode args = c.arguments() == null || c.arguments().isNull() ? Json.object() : c.arguments();
        Optional<ToolDescriptor> tool = catalogue.find(c.tool());
        if (tool.isEmpty()) {
            return new Failed(SmcpError.TOOL_NOT_FOUND, "no tool '" + c.tool() + "' exists on this worker");
        }
        if (c.manifestTools() != null && !ToolCatalogue.listed(c.manifestTools(), c.tool())) {
            return new Refused(PolicyViolation.of(ViolationType.TOOL_NOT_ALLOWED, c.tool(), "tool '" + c.tool()
                    + "' is not in the agent's spec.tools " + c.manifestTools()));
        }
        PolicyDecision decision = PolicyEngine.evaluate(c.context(), c.tool(), args);
        if (decision instanceof PolicyDecision.Denied denied) {
            return new Refused(denied.violation());
        }
        Capability cap = ((PolicyDecision.Allowed) decision).capability();
        Optional<PolicyViolation> limited = limiter.acquire(c.rateKey(), c.context().capabilities().indexOf(cap), cap,
                c.tool());
        if (limited.isPresent()) {
            return new Refused(limited.get());
        }
        if (!args.isObject()) {
            return new Failed(SmcpError.INVALID_ARGUMENTS, "the arguments of " + c.tool() + " must be an object");
        }
        List<String> problems = catalogue.argumentProblems(tool.get(), args);
        if (!problems.isEmpty()) {
            return new Failed(SmcpError.INVALID_ARGUMENTS, "invalid arguments for " + c.tool() + ": "
                    + String.join("; ", problems));
        }
        long cap0 = cap.maxResponseSize() == null ? maxOutputBytes : Math.min(maxOutputBytes, cap.maxResponseSize());
        if (c.tool().equals(ToolCatalog.CMD_RUN)) {
            return new Dispatch(exec(args, cap0));
        }
        if (ToolCatalog.FILE_TOOLS.contains(c.tool())) {
            return new Dispatch(fileAction(c.tool(), (ObjectNode) args, cap0));
        }
        return mcpCall(c, args, cap);
    }

    private Outcome mcpCall(Call c, JsonNode args, Capability cap) {
        JsonNode result;
        try {
            result = mcp.call(c.tool(), args);
        } catch (McpException e) {
            return new Failed(SmcpError.TOOL_FAILED, "MCP tool " + c.tool() + " failed: " + e.getMessage());
        }
        long size = Json.write(result).getBytes(StandardCharsets.UTF_8).length;
        Optional<PolicyViolation> tooLarge = PolicyEngine.checkResponseSize(cap, c.tool(), size);
        if (tooLarge.isPresent()) {
            return new Refused(tooLarge.get());
        }
        if (size > maxOutputBytes) {
            return new Failed(SmcpError.TOOL_FAILED, "MCP tool " + c.tool() + " answered " + size
                    + " bytes, more than this worker's cap of " + maxOutputBytes);
        }
        return new Result(result, ToolSummaries.of(result));
    }

    /** {@code cmd.run}: a command line (through the sandbox's shell) or a program with an argument vector. */
    private static ObjectNode exec(JsonNode args, long maxBytes) {
        ObjectNode d = Json.object();
        d.put("action", "exec");
        d.put("command", args.path("command").asText());
        ArrayNode argv = d.putArray("args");
        if (args.path("args").isArray()) {
            args.path("args").forEach(a -> argv.add(a.asText()));
        }
        d.put("cwd", SANDBOX_WORKDIR);
        d.putObject("env_additions");
        d.put("timeout_secs", Math.min(MAX_COMMAND_TIMEOUT_SECS, Math.max(1, args.path("timeout_secs")
                .asInt(DEFAULT_COMMAND_TIMEOUT_SECS))));
        d.put("max_output_bytes", maxBytes);
        return d;
    }

    /** {@code fs.*}: the operation with its path normalised onto {@code /workspace} (the policy passed it). */
    private static ObjectNode fileAction(String tool, ObjectNode args, long maxBytes) {
        ObjectNode d = args.deepCopy();
        d.put("action", "fs");
        d.put("op", tool.substring("fs.".length()));
        d.put("path", WorkspacePaths.normalise(args.path("path").asText()));
        d.put("max_output_bytes", maxBytes);
        return d;
    }
}
