package ai.aegis.topology.serde;

import ai.aegis.schemas.json.Json;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * Reads one kind of wire record strictly: the value must be JSON of the record's shape and carry every field its
 * consumers need ({@link #require}), or {@link #read} throws {@link MalformedRecordException}. Any producer can
 * write to a topic, so a consumer never folds a record it only half understands: it gives the record up (a dead
 * letter) and goes on with the next. Immutable; the readers of the topics are in {@link WireReaders}.
 *
 * @param <T> the record type
 */
public final class WireReader<T> {

    private record Required<T>(String field, Function<T, Object> value) {
    }

    private final Class<T> type;
    private final List<Required<T>> required;

    private WireReader(Class<T> type, List<Required<T>> required) {
        this.type = type;
        this.required = List.copyOf(required);
    }

    /** A reader that only asks for JSON of {@code type}'s shape. */
    public static <T> WireReader<T> of(Class<T> type) {
        return new WireReader<>(Objects.requireNonNull(type, "type"), List.of());
    }

    /** This reader, also refusing a record whose {@code field} is missing, null or blank. */
    public WireReader<T> require(String field, Function<T, Object> value) {
        List<Required<T>> more = new ArrayList<>(required);
        more.add(new Required<>(field, value));
        return new WireReader<>(type, more);
    }

    public Class<T> type() {
        return type;
    }

    /**
     * @param value the record value as read from the topic (null for a tombstone)
     * @throws MalformedRecordException when it is not a complete record of this type
     */
    public T read(byte[] value) {
        String name = type.getSimpleName();
        if (value == null) {
            throw new MalformedRecordException("a tombstone (no value) where " + name + " is expected");
        }
        T record;
        try {
            record = Json.read(value, type);
        } catch (RuntimeException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new MalformedRecordException("not a " + name + ": " + firstLine(cause.getMessage()), e);
        }
        if (record == null) {
            throw new MalformedRecordException("JSON null where " + name + " is expected");
        }
        for (Required<T> r : required) {
            Object v = r.value().apply(record);
            if (v == null || (v instanceof String s && s.isBlank())) {
                throw new MalformedRecordException(name + " without " + r.field());
            }
        }
        return record;
    }

    /** A Kafka deserializer that throws on everything {@link #read} refuses (Kafka Streams dead-letters it). */
    public Deserializer<T> deserializer() {
        return (topic, bytes) -> read(bytes);
    }

    /** Reads strictly, writes the record's JSON. */
    public Serde<T> serde() {
        Serializer<T> serializer = (topic, record) -> record == null ? null : Json.writeBytes(record);
        return Serdes.serdeFrom(serializer, deserializer());
    }

    /** Jackson's messages go on with the location and the source; the first line says what is wrong. */
    private static String firstLine(String message) {
        if (message == null) {
            return "unreadable";
        }
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }
}
