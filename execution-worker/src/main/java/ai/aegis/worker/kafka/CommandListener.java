package ai.aegis.worker.kafka;

import ai.aegis.schemas.execution.ExecutionCommand;
import ai.aegis.topology.kafka.KafkaSettings;
import ai.aegis.topology.serde.MalformedRecordException;
import ai.aegis.topology.serde.WireReaders;
import ai.aegis.topology.tail.BadRecords;
import ai.aegis.topology.tail.TopicTail;
import ai.aegis.worker.execution.ExecutionControls;

import java.util.List;

/**
 * Every worker reads every execution command: the worker running the execution acts on it, the others remember a
 * cancel in case the request comes to them later. One shared tail per worker, never a consumer per execution.
 */
public final class CommandListener implements AutoCloseable {

    /** The tail's name (its dead letters are {@code worker-commands-tail}'s). */
    public static final String TAIL = "worker-commands";

    private final TopicTail tail;

    /** @param deadLetters where a command that is not one goes (a tombstone, another shape, an unknown command) */
    public CommandListener(KafkaSettings kafka, ExecutionControls controls, BadRecords deadLetters) {
        this.tail = new TopicTail(TAIL, kafka, List.of(kafka.topics().executionCommands().name()),
                record -> apply(controls, WireReaders.EXECUTION_COMMAND.read(record.value())), deadLetters);
    }

    private static void apply(ExecutionControls controls, ExecutionCommand command) {
        if (!ExecutionCommand.CANCEL.equals(command.command())) {
            throw new MalformedRecordException("unknown execution command '" + command.command() + "'");
        }
        controls.cancel(command.executionId(), command.reason() == null ? "cancelled" : command.reason());
    }

    /** The tail, for readiness: alive, and how far behind. */
    public TopicTail tail() {
        return tail;
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
