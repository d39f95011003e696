package ai.aegis.worker.gateway;

import ai.aegis.worker.execution.EventSink;
import ai.aegis.worker.llm.ChatMessage;
import ai.aegis.worker.llm.ToolCallRequest;

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

    /** A command handed to the sandbox, waiting for its result. */
    record PendingDispatch(String dispatchId, ToolCallRequest call, long dispatchedAtNanos) {
    }

    private final String executionId;
    private final String agentId;
    private final int iteration;
    private final byte[] token;
    private final List<String> tools;
    private final String modelAlias;
    private final EventSink events;
    final List<ChatMessage> conversation = new ArrayList<>();
    final Deque<ToolCallRequest> queued = new ArrayDeque<>();
    PendingDispatch pending;
    int rounds;
    int toolCallsExecuted;
    boolean started;
    private volatile String finalContent;
    private volatile String failure;

    public InnerLoopSession(String executionId, String agentId, int iteration, String token, List<String> tools,
                            String modelAlias, EventSink events) {
        this.executionId = executionId;
        this.agentId = agentId;
        this.iteration = iteration;
        this.token = token.getBytes(StandardCharsets.UTF_8);
        this.tools = List.copyOf(tools);
        this.modelAlias = modelAlias;
        this.events = events;
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
    public void emit(ai.aegis.schemas.execution.ExecutionEvent event) {
        synchronized (emitLock) {
            if (!closed) {
                events.emit(event);
            }
        }
    }

    /** Ends the session: later gateway calls are refused and late events dropped. */
    public void close() {
        synchronized (emitLock) {
            closed = true;
        }
    }

    boolean closed() {
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
