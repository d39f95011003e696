package ai.aegis.worker.kafka;

import ai.aegis.schemas.execution.ExecutionCommand;
import ai.aegis.schemas.json.Json;
import ai.aegis.topology.kafka.KafkaSettings;
import ai.aegis.topology.tail.TopicTail;
import ai.aegis.worker.execution.ExecutionControls;

import java.util.List;

/**
 * Every worker reads every execution command: the worker running the execution acts on it, the others remember a
 * cancel in case the request comes to them later. One shared tail per worker, never a consumer per execution.
 */
public final class CommandListener implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(CommandListener.class.getName());

    private final TopicTail tail;

    public CommandListener(KafkaSettings kafka, ExecutionControls controls) {
        this.tail = new TopicTail("worker-commands", kafka, List.of(kafka.topics().executionCommands().name()),
                record -> {
                    if (record.value() == null) {
                        return;
                    }
                    ExecutionCommand command = Json.read(record.value(), ExecutionCommand.class);
                    if (ExecutionCommand.CANCEL.equals(command.command())) {
                        controls.cancel(command.executionId(), command.reason() == null ? "cancelled"
                                : command.reason());
                    } else {
                        LOG.log(System.Logger.Level.WARNING, "ignoring unknown execution command '"
                                + command.command() + "'");
                    }
                });
    }

    public CommandListener start() {
        tail.start();
        return this;
    }

    @Override
    public void close() {
        tail.close();
    }
}
