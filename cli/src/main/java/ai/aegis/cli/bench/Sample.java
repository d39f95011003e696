package ai.aegis.cli.bench;

/**
 * One measured execution, in milliseconds from the moment just before the request was sent.
 *
 * @param firstCommandMs     request to the first command in the sandbox (the sandbox's own clock, read by
 *                           {@code date +%s%N}; same host clock as the request's)
 * @param completedMs        request to the {@code execution_completed} frame read from the SSE stream (monotonic clock)
 * @param executionStartedMs request to the worker's {@code execution_started} (event timestamp, ms precision)
 * @param iterationStartedMs request to {@code iteration_started}: just before the runtime is asked for a sandbox
 * @param firstModelCallMs   request to the bootstrap's first call through the dispatch gateway (the first
 *                           {@code llm_interaction}'s timestamp minus its duration): the sandbox is up and python
 *                           has started
 * @param deliveryMs         the {@code execution_completed} event's own timestamp (the worker's clock, when it wrote
 *                           it) to its frame read from the stream (wall clock, same host): Kafka and the ingress
 */
public record Sample(double firstCommandMs, double completedMs, double executionStartedMs, double iterationStartedMs,
                     double firstModelCallMs, double deliveryMs) {
}
