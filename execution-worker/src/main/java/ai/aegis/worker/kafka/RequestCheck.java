package ai.aegis.worker.kafka;

import ai.aegis.schemas.Ids;
import ai.aegis.schemas.execution.ExecutionRequest;
import ai.aegis.schemas.json.Json;

import java.util.List;

/**
 * Reads an execution request record and refuses one that no worker could ever run: anyone can write to the topic,
 * and a record that fails here fails the same way on every worker and at every delivery, so it is rejected (and
 * dead-lettered) at once instead of being retried. A request that reads but whose agent then cannot run (a manifest
 * that no longer validates, an agent name nobody deployed) is not refused here: it runs and fails visibly.
 */
final class RequestCheck {

    /** The record is not a request a worker can run; the message says why. */
    static final class InvalidRequestException extends RuntimeException {
        InvalidRequestException(String message, Throwable cause) {
            super(message, cause);
        }

        InvalidRequestException(String message) {
            super(message);
        }
    }

    private RequestCheck() {
    }

    /** @throws InvalidRequestException when the value is no runnable request */
    static ExecutionRequest read(byte[] value) {
        if (value == null) {
            throw new InvalidRequestException("the record has no value (a tombstone is no request)");
        }
        ExecutionRequest request;
        try {
            request = Json.read(value, ExecutionRequest.class);
        } catch (RuntimeException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new InvalidRequestException("not an execution request: " + firstLine(cause.getMessage()), cause);
        }
        if (request == null) {
            throw new InvalidRequestException("not an execution request: the value is JSON null");
        }
        if (!Ids.isUuid(request.executionId())) {
            throw new InvalidRequestException(request.executionId() == null ? "execution_id is missing"
                    : "execution_id is not a UUID");
        }
        ExecutionRequest.ContainerRun run = request.containerRun();
        if (run != null) {
            List<String> command = run.command();
            if (command == null || command.isEmpty() || command.stream().anyMatch(arg -> arg == null)) {
                throw new InvalidRequestException("container_run.command is missing, empty or holds a null");
            }
        } else if (request.agent() == null && (request.agentName() == null || request.agentName().isBlank())) {
            throw new InvalidRequestException("the request names no agent: agent, agent_name and container_run "
                    + "are all missing");
        }
        if (request.workflow() != null && !Ids.isUuid(request.workflow().workflowExecutionId())) {
            throw new InvalidRequestException("workflow.workflow_execution_id is missing or not a UUID");
        }
        return request;
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "unreadable";
        }
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }
}
