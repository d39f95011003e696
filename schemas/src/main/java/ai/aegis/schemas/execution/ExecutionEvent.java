package ai.aegis.schemas.execution;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.annotation.JsonTypeName;
import com.fasterxml.jackson.databind.JsonNode;

import java.time.Instant;

/**
 * An event in the life of one execution, in the reference's JSON form: a single key, the snake_case event type,
 * wrapping the event's fields, e.g. {@code {"execution_completed":{"execution_id":...}}}.
 * The same JSON is the record value on the execution events topic and the {@code data:} of an SSE frame.
 *
 * <p>Every event carries the <b>run attempt</b> that wrote it ({@code attempt}, 1 for the first run): a worker that
 * takes an execution over from a lost one runs it as the next attempt, and readers ignore the events of an attempt
 * once a newer one has begun, so a worker that was given up for dead (frozen, cut off) and wakes up cannot change
 * what they show. Absent means 1: the first run, or a record written before attempts existed. Each record has a
 * constructor without the attempt (the first run); the worker numbers events with {@link #withAttempt}.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, include = JsonTypeInfo.As.WRAPPER_OBJECT)
@JsonSubTypes({
        @JsonSubTypes.Type(ExecutionEvent.ExecutionStarted.class),
        @JsonSubTypes.Type(ExecutionEvent.IterationStarted.class),
        @JsonSubTypes.Type(ExecutionEvent.IterationOutput.class),
        @JsonSubTypes.Type(ExecutionEvent.ToolCall.class),
        @JsonSubTypes.Type(ExecutionEvent.PolicyViolation.class),
        @JsonSubTypes.Type(ExecutionEvent.LlmInteraction.class),
        @JsonSubTypes.Type(ExecutionEvent.IterationCompleted.class),
        @JsonSubTypes.Type(ExecutionEvent.IterationFailed.class),
        @JsonSubTypes.Type(ExecutionEvent.ValidationPerformed.class),
        @JsonSubTypes.Type(ExecutionEvent.ExecutionCompleted.class),
        @JsonSubTypes.Type(ExecutionEvent.ExecutionFailed.class),
        @JsonSubTypes.Type(ExecutionEvent.ExecutionCancelled.class),
        @JsonSubTypes.Type(ExecutionEvent.ExecutionTimedOut.class),
})
public sealed interface ExecutionEvent {

    String executionId();

    /** The run attempt that wrote this event; null for an unnumbered one (read as the first run). */
    Integer attempt();

    /** The same event, written by run attempt {@code attempt} (null: unnumbered). */
    ExecutionEvent withAttempt(Integer attempt);

    /** {@link #attempt()}, an absent one read as the first run. */
    default int attemptNumber() {
        Integer a = attempt();
        return a == null || a < 1 ? 1 : a;
    }

    /** The snake_case type name, the single key of the JSON form. */
    default String type() {
        return getClass().getAnnotation(JsonTypeName.class).value();
    }

    /** Terminal events end an execution; its stream closes after one. */
    default boolean terminal() {
        return this instanceof ExecutionCompleted || this instanceof ExecutionFailed
                || this instanceof ExecutionCancelled || this instanceof ExecutionTimedOut;
    }

    @JsonTypeName("execution_started")
    record ExecutionStarted(String executionId, String agentId, Instant startedAt, Integer attempt)
            implements ExecutionEvent {

        public ExecutionStarted(String executionId, String agentId, Instant startedAt) {
            this(executionId, agentId, startedAt, null);
        }

        @Override
        public ExecutionStarted withAttempt(Integer attempt) {
            return new ExecutionStarted(executionId, agentId, startedAt, attempt);
        }
    }

    /** {@code action} is the rendered task the iteration works on. */
    @JsonTypeName("iteration_started")
    record IterationStarted(String executionId, int iterationNumber, String action, Instant startedAt,
                            Integer attempt) implements ExecutionEvent {

        public IterationStarted(String executionId, int iterationNumber, String action, Instant startedAt) {
            this(executionId, iterationNumber, action, startedAt, null);
        }

        @Override
        public IterationStarted withAttempt(Integer attempt) {
            return new IterationStarted(executionId, iterationNumber, action, startedAt, attempt);
        }
    }

    /**
     * Console output of the sandbox: one or more whole lines of one stream ({@code stdout} or {@code stderr}),
     * joined by {@code \n}, without the last newline; a line longer than a record is split over several. The worker
     * writes at most a few KiB per record and a bounded number of bytes per iteration: {@code truncated} says that
     * {@code omittedBytes} bytes of this stream were dropped just before this record (the tail is kept).
     *
     * @param omittedBytes null when nothing was dropped
     */
    @JsonTypeName("iteration_output")
    record IterationOutput(String executionId, int iterationNumber, String stream, String output, boolean truncated,
                           Long omittedBytes, Instant timestamp, Integer attempt) implements ExecutionEvent {

        /** Lines that were written whole, with nothing dropped before them, by the first run. */
        public IterationOutput(String executionId, int iterationNumber, String stream, String output,
                               Instant timestamp) {
            this(executionId, iterationNumber, stream, output, false, null, timestamp, null);
        }

        /** Console lines of an unnumbered run (the worker numbers them with {@link #withAttempt}). */
        public IterationOutput(String executionId, int iterationNumber, String stream, String output,
                               boolean truncated, Long omittedBytes, Instant timestamp) {
            this(executionId, iterationNumber, stream, output, truncated, omittedBytes, timestamp, null);
        }

        @Override
        public IterationOutput withAttempt(Integer attempt) {
            return new IterationOutput(executionId, iterationNumber, stream, output, truncated, omittedBytes,
                    timestamp, attempt);
        }
    }

    /**
     * A tool the model called, with its arguments and a summary of the result. {@code exit_code} is set for
     * tools that ran a command in the sandbox.
     */
    @JsonTypeName("tool_call")
    record ToolCall(String executionId, int iterationNumber, String toolCallId, String name, JsonNode arguments,
                    String resultSummary, Integer exitCode, boolean truncated, long durationMs, Instant timestamp,
                    Integer attempt) implements ExecutionEvent {

        public ToolCall(String executionId, int iterationNumber, String toolCallId, String name, JsonNode arguments,
                        String resultSummary, Integer exitCode, boolean truncated, long durationMs,
                        Instant timestamp) {
            this(executionId, iterationNumber, toolCallId, name, arguments, resultSummary, exitCode, truncated,
                    durationMs, timestamp, null);
        }

        @Override
        public ToolCall withAttempt(Integer attempt) {
            return new ToolCall(executionId, iterationNumber, toolCallId, name, arguments, resultSummary, exitCode,
                    truncated, durationMs, timestamp, attempt);
        }
    }

    /**
     * A tool call that the agent's security context refused (SMCP policy), from the model's tool calls or from a
     * signed SMCP invocation. The call did not run; the model was told why and the iteration went on.
     *
     * @param violationType   e.g. {@code tool_not_allowed}, {@code path_traversal_attempt}, {@code rate_limit_exceeded}
     * @param securityContext the context that decided
     * @param source          {@code gateway} (the inner loop), {@code smcp} (a signed invocation) or {@code sandbox}
     *                        (refused inside the sandbox, as a symlink that leads out of the workspace)
     */
    @JsonTypeName("policy_violation")
    record PolicyViolation(String executionId, int iterationNumber, String toolCallId, String tool,
                           String violationType, String message, String securityContext, String source,
                           Instant timestamp, Integer attempt) implements ExecutionEvent {

        public PolicyViolation(String executionId, int iterationNumber, String toolCallId, String tool,
                               String violationType, String message, String securityContext, String source,
                               Instant timestamp) {
            this(executionId, iterationNumber, toolCallId, tool, violationType, message, securityContext, source,
                    timestamp, null);
        }

        @Override
        public PolicyViolation withAttempt(Integer attempt) {
            return new PolicyViolation(executionId, iterationNumber, toolCallId, tool, violationType, message,
                    securityContext, source, timestamp, attempt);
        }
    }

    /** One round trip to a language model. Token counts are null when the provider does not report them. */
    @JsonTypeName("llm_interaction")
    record LlmInteraction(String executionId, int iterationNumber, String provider, String model,
                          Integer inputTokens, Integer outputTokens, String finishReason, long durationMs,
                          Instant timestamp, Integer attempt) implements ExecutionEvent {

        public LlmInteraction(String executionId, int iterationNumber, String provider, String model,
                              Integer inputTokens, Integer outputTokens, String finishReason, long durationMs,
                              Instant timestamp) {
            this(executionId, iterationNumber, provider, model, inputTokens, outputTokens, finishReason, durationMs,
                    timestamp, null);
        }

        @Override
        public LlmInteraction withAttempt(Integer attempt) {
            return new LlmInteraction(executionId, iterationNumber, provider, model, inputTokens, outputTokens,
                    finishReason, durationMs, timestamp, attempt);
        }
    }

    @JsonTypeName("iteration_completed")
    record IterationCompleted(String executionId, int iterationNumber, String output, Instant completedAt,
                              Integer attempt) implements ExecutionEvent {

        public IterationCompleted(String executionId, int iterationNumber, String output, Instant completedAt) {
            this(executionId, iterationNumber, output, completedAt, null);
        }

        @Override
        public IterationCompleted withAttempt(Integer attempt) {
            return new IterationCompleted(executionId, iterationNumber, output, completedAt, attempt);
        }
    }

    @JsonTypeName("iteration_failed")
    record IterationFailed(String executionId, int iterationNumber, IterationError error, Instant failedAt,
                           Integer attempt) implements ExecutionEvent {

        public IterationFailed(String executionId, int iterationNumber, IterationError error, Instant failedAt) {
            this(executionId, iterationNumber, error, failedAt, null);
        }

        @Override
        public IterationFailed withAttempt(Integer attempt) {
            return new IterationFailed(executionId, iterationNumber, error, failedAt, attempt);
        }
    }

    @JsonTypeName("validation_performed")
    record ValidationPerformed(String executionId, int iterationNumber, String validator, double score,
                               double confidence, boolean passed, String reason, Instant validatedAt,
                               Integer attempt) implements ExecutionEvent {

        public ValidationPerformed(String executionId, int iterationNumber, String validator, double score,
                                   double confidence, boolean passed, String reason, Instant validatedAt) {
            this(executionId, iterationNumber, validator, score, confidence, passed, reason, validatedAt, null);
        }

        @Override
        public ValidationPerformed withAttempt(Integer attempt) {
            return new ValidationPerformed(executionId, iterationNumber, validator, score, confidence, passed, reason,
                    validatedAt, attempt);
        }
    }

    @JsonTypeName("execution_completed")
    record ExecutionCompleted(String executionId, String finalOutput, int totalIterations, Instant completedAt,
                              Integer attempt) implements ExecutionEvent {

        public ExecutionCompleted(String executionId, String finalOutput, int totalIterations, Instant completedAt) {
            this(executionId, finalOutput, totalIterations, completedAt, null);
        }

        @Override
        public ExecutionCompleted withAttempt(Integer attempt) {
            return new ExecutionCompleted(executionId, finalOutput, totalIterations, completedAt, attempt);
        }
    }

    @JsonTypeName("execution_failed")
    record ExecutionFailed(String executionId, String reason, int totalIterations, Instant failedAt,
                           Integer attempt) implements ExecutionEvent {

        public ExecutionFailed(String executionId, String reason, int totalIterations, Instant failedAt) {
            this(executionId, reason, totalIterations, failedAt, null);
        }

        @Override
        public ExecutionFailed withAttempt(Integer attempt) {
            return new ExecutionFailed(executionId, reason, totalIterations, failedAt, attempt);
        }
    }

    @JsonTypeName("execution_cancelled")
    record ExecutionCancelled(String executionId, String reason, Instant cancelledAt, Integer attempt)
            implements ExecutionEvent {

        public ExecutionCancelled(String executionId, String reason, Instant cancelledAt) {
            this(executionId, reason, cancelledAt, null);
        }

        @Override
        public ExecutionCancelled withAttempt(Integer attempt) {
            return new ExecutionCancelled(executionId, reason, cancelledAt, attempt);
        }
    }

    @JsonTypeName("execution_timed_out")
    record ExecutionTimedOut(String executionId, long timeoutSeconds, int totalIterations, Instant timedOutAt,
                             Integer attempt) implements ExecutionEvent {

        public ExecutionTimedOut(String executionId, long timeoutSeconds, int totalIterations, Instant timedOutAt) {
            this(executionId, timeoutSeconds, totalIterations, timedOutAt, null);
        }

        @Override
        public ExecutionTimedOut withAttempt(Integer attempt) {
            return new ExecutionTimedOut(executionId, timeoutSeconds, totalIterations, timedOutAt, attempt);
        }
    }

    /** Why an iteration failed: {@code error_type} is a stable code, {@code message} is for people. */
    record IterationError(String errorType, String message, String details) {
    }
}
