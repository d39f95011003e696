package ai.aegis.worker.gateway;

import ai.aegis.schemas.execution.ExecutionEvent;
import ai.aegis.schemas.json.Json;
import ai.aegis.worker.execution.EventSink;
import ai.aegis.worker.llm.ChatMessage;
import ai.aegis.worker.llm.ToolCallRequest;
import ai.aegis.worker.smcp.policy.PolicyViolation;
import ai.aegis.worker.smcp.policy.SecurityContext;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * The state of one running iteration's conversation, held by the worker that runs the sandbox. It lives only in
 * memory: if the worker dies, the sandbox dies with it and the iteration ends as failed, never hung.
 */
public final class InnerLoopSession {

    /** An action handed to the sandbox (a command, a file operation, a call to sign), waiting for its result. */
    record PendingDispatch(String dispatchId, ToolCallRequest call, long dispatchedAtNanos) {
    }

    private final String executionId;
    private final String agentId;
    private final int iteration;
    private final byte[] token;
    private final List<String> tools;
    private final String modelAlias;
    private final SecurityContext securityContext;
    private final EventSink events;
    /** The SMCP session the sandbox attested, or null: then the loop calls tools itself, under the same policy. */
    private volatile String smcpSessionId;
    private volatile String sandboxId;
    final List<ChatMessage> conversation = new ArrayList<>();
    final Deque<ToolCallRequest> queued = new ArrayDeque<>();
    PendingDispatch pending;
    int rounds;
    int toolCallsExecuted;
    boolean started;
    /** The sandbox said it attested: tool calls go back to it to be signed. */
    boolean viaSmcp;
    private volatile String finalContent;
    private volatile String failure;

    /**
     * @param tools           the manifest's {@code spec.tools}
     * @param securityContext the context every tool call of the iteration obeys
     */
    public InnerLoopSession(String executionId, String agentId, int iteration, String token, List<String> tools,
                            String modelAlias, SecurityContext securityContext, EventSink events) {
        this.executionId = executionId;
        this.agentId = agentId;
        this.iteration = iteration;
        this.token = token.getBytes(StandardCharsets.UTF_8);
        this.tools = List.copyOf(tools);
        this.modelAlias = modelAlias;
        this.securityContext = securityContext;
        this.events = events;
    }

    /** Forgets an attestation that did not become durable, so the sandbox may attest again. */
    public synchronized void unattested(String sessionId) {
        if (sessionId.equals(smcpSessionId)) {
            smcpSessionId = null;
        }
    }

    /** The runtime's id of the iteration's sandbox, when the runtime has one (Docker). */
    public void sandboxCreated(String sandboxId) {
        this.sandboxId = sandboxId;
    }

    /**
     * Whether the container id a sandbox gave at attestation is this iteration's: always when the runtime has no
     * ids; else the full id or its prefix of at least 12 characters (Docker's default hostname in a container).
     */
    public boolean containerMatches(String given) {
        String known = sandboxId;
        if (known == null) {
            return true;
        }
        return given != null && (given.equals(known) || given.length() >= 12 && known.startsWith(given));
    }

    public SecurityContext securityContext() {
        return securityContext;
    }

    public String smcpSessionId() {
        return smcpSessionId;
    }

    /**
     * Links the session the sandbox attested; one per iteration.
     *
     * @return false when the sandbox attested before
     */
    public synchronized boolean attested(String sessionId) {
        if (smcpSessionId != null) {
            return false;
        }
        smcpSessionId = sessionId;
        return true;
    }

    public String executionId() {
        return executionId;
    }

    public String agentId() {
        return agentId;
    }

    public int iteration() {
        return iteration;
    }

    public List<String> tools() {
        return tools;
    }

    public String modelAlias() {
        return modelAlias;
    }

    private final Object emitLock = new Object();
    private boolean closed;

    /**
     * Emits an event of this iteration unless the iteration is over: a model call that returns after the sandbox
     * was killed (timeout, cancel) must not write events after the execution's terminal event.
     */
    public void emit(ExecutionEvent event) {
        synchronized (emitLock) {
            if (!closed) {
                events.emit(event);
            }
        }
    }

    /**
     * Reports a tool call the security context refused, as a {@code policy_violation} event of this iteration.
     *
     * @param source {@code gateway}, {@code smcp} or {@code sandbox}
     */
    public void policyViolation(String toolCallId, PolicyViolation violation, String source) {
        emit(new ExecutionEvent.PolicyViolation(executionId, iteration, toolCallId,
                violation.tool(), violation.type().wireName(), violation.message(), securityContext.name(), source,
                Json.now()));
    }

    /** Ends the session: later gateway calls are refused and late events dropped. */
    public void close() {
        synchronized (emitLock) {
            closed = true;
        }
    }

    public boolean closed() {
        synchronized (emitLock) {
            return closed;
        }
    }

    /** Constant-time check of the per-execution token the sandbox presents. */
    public boolean tokenMatches(String presented) {
        return presented != null && MessageDigest.isEqual(token, presented.getBytes(StandardCharsets.UTF_8));
    }

    /** The model's final answer, once the loop reached one. */
    public String finalContent() {
        return finalContent;
    }

    void finish(String content) {
        finalContent = content;
    }

    /** Why the loop failed (model error, round limit), or null. */
    public String failure() {
        return failure;
    }

    void fail(String reason) {
        failure = reason;
    }
}
