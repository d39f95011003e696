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
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, include = JsonTypeInfo.As.WRAPPER_OBJECT)
@JsonSubTypes({
        @JsonSubTypes.Type(ExecutionEvent.ExecutionStarted.class),
        @JsonSubTypes.Type(ExecutionEvent.IterationStarted.class),
        @JsonSubTypes.Type(ExecutionEvent.IterationOutput.class),
        @JsonSubTypes.Type(ExecutionEvent.ToolCall.class),
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
    record ExecutionStarted(String executionId, String agentId, Instant startedAt) implements ExecutionEvent {
    }

    /** {@code action} is the rendered task the iteration works on. */
    @JsonTypeName("iteration_started")
    record IterationStarted(String executionId, int iterationNumber, String action, Instant startedAt)
            implements ExecutionEvent {
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
                           Long omittedBytes, Instant timestamp) implements ExecutionEvent {

        /** Lines that were written whole, with nothing dropped before them. */
        public IterationOutput(String executionId, int iterationNumber, String stream, String output,
                               Instant timestamp) {
            this(executionId, iterationNumber, stream, output, false, null, timestamp);
        }
    }

    /**
     * A tool the model called, with its arguments and a summary of the result. {@code exit_code} is set for
     * tools that ran a command in the sandbox.
     */
    @JsonTypeName("tool_call")
    record ToolCall(String executionId, int iterationNumber, String toolCallId, String name, JsonNode arguments,
                    String resultSummary, Integer exitCode, boolean truncated, long durationMs, Instant timestamp)
            implements ExecutionEvent {
    }

    /** One round trip to a language model. Token counts are null when the provider does not report them. */
    @JsonTypeName("llm_interaction")
    record LlmInteraction(String executionId, int iterationNumber, String provider, String model,
                          Integer inputTokens, Integer outputTokens, String finishReason, long durationMs,
                          Instant timestamp) implements ExecutionEvent {
    }

    @JsonTypeName("iteration_completed")
    record IterationCompleted(String executionId, int iterationNumber, String output, Instant completedAt)
            implements ExecutionEvent {
    }

    @JsonTypeName("iteration_failed")
    record IterationFailed(String executionId, int iterationNumber, IterationError error, Instant failedAt)
            implements ExecutionEvent {
    }

    @JsonTypeName("validation_performed")
    record ValidationPerformed(String executionId, int iterationNumber, String validator, double score,
                               double confidence, boolean passed, String reason, Instant validatedAt)
            implements ExecutionEvent {
    }

    @JsonTypeName("execution_completed")
    record ExecutionCompleted(String executionId, String finalOutput, int totalIterations, Instant completedAt)
            implements ExecutionEvent {
    }

    @JsonTypeName("execution_failed")
    record ExecutionFailed(String executionId, String reason, int totalIterations, Instant failedAt)
            implements ExecutionEvent {
    }

    @JsonTypeName("execution_cancelled")
    record ExecutionCancelled(String executionId, String reason, Instant cancelledAt) implements ExecutionEvent {
    }

    @JsonTypeName("execution_timed_out")
    record ExecutionTimedOut(String executionId, long timeoutSeconds, int totalIterations, Instant timedOutAt)
            implements ExecutionEvent {
    }

    /** Why an iteration failed: {@code error_type} is a stable code, {@code message} is for people. */
    record IterationError(String errorType, String message, String details) {
    }
}
