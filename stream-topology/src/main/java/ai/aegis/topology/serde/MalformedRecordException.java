package ai.aegis.topology.serde;

import org.apache.kafka.common.errors.SerializationException;

/**
 * A record value that is not the record its topic carries: a tombstone where a value is needed, JSON {@code null},
 * bytes that are not JSON, JSON of another shape, or a record without a field its consumers need. A Kafka
 * {@link SerializationException}, so that Kafka Streams hands it to its deserialization exception handler when a
 * source's deserializer throws it; the tails dead-letter it like any error of their handlers.
 */
public final class MalformedRecordException extends SerializationException {

    public MalformedRecordException(String message) {
        super(message);
    }

    public MalformedRecordException(String message, Throwable cause) {
        super(message, cause);
    }
}
