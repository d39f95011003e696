package ai.aegis.topology.deadletter;

import ai.aegis.schemas.deadletter.DeadLetter;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Configurable;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.errors.ProductionExceptionHandler;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.processor.api.Record;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.atomic.LongAdder;

/**
 * Dead letters of one Kafka Streams application, through Kafka Streams' own exception handlers: a record its
 * sources cannot deserialize ({@code deserialization.exception.handler}), a record a processor throws on
 * ({@code processing.exception.handler}) and an output that cannot be written ({@code production.exception.handler})
 * each become a {@link DeadLetter} that the handler's response carries (KIP-1034), and the task goes on with the next
 * record. Kafka Streams writes the dead letter in the same transaction as the task's other outputs and its offsets,
 * so under exactly-once a record is either dead-lettered and passed, or neither.
 *
 * <p>Kafka Streams creates the handlers from their class names; {@link #install} puts this instance into the
 * configuration too, and each handler finds it there in {@code configure}, so that all of them count into one
 * metric per application.
 */
public final class StreamsDeadLetters {

    private static final System.Logger LOG = System.getLogger(StreamsDeadLetters.class.getName());

    /** Key of this instance in the Streams configuration (not a Kafka setting: Kafka ignores it). */
    static final String INSTANCE = "aegis.dead-letters.instance";

    private final String topic;
    private final String consumer;
    private final String ceSource;
    private final LongAdder written = new LongAdder();

    /**
     * @param topic    the dead-letter topic ({@code TopicCatalog.deadLetters()})
     * @param consumer the application as the dead letters name it: {@code workflow-engine}, {@code approval-service}
     * @param ceSource {@code ce_source} of the dead letters
     */
    public StreamsDeadLetters(String topic, String consumer, String ceSource) {
        this.topic = Objects.requireNonNull(topic, "topic");
        this.consumer = Objects.requireNonNull(consumer, "consumer");
        this.ceSource = Objects.requireNonNull(ceSource, "ceSource");
    }

    /** Sets the three handlers in {@code streams} and puts this instance beside them. */
    public void install(Properties streams) {
        streams.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, OnDeserialization.class.getName());
        streams.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, OnProcessing.class.getName());
        streams.put(StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG, OnProduction.class.getName());
        streams.put(INSTANCE, this);
    }

    /** Dead letters handed to Kafka Streams since this application started (a metric). */
    public long written() {
        return written.sum();
    }

    public String consumer() {
        return consumer;
    }

    public String topic() {
        return topic;
    }

    /** The dead letter of the input record the context describes. */
    private ProducerRecord<byte[], byte[]> ofInput(ErrorHandlerContext context, Exception error) {
        byte[] rawKey = context.sourceRawKey();
        return letter(context.topic(), context.partition(), context.offset(),
                rawKey == null ? null : new String(rawKey, StandardCharsets.UTF_8), context.sourceRawValue(), error,
                null);
    }

    /** @param context what to say before the error's own message, or null */
    private ProducerRecord<byte[], byte[]> letter(String sourceTopic, int partition, long offset, String key,
                                                  byte[] value, Throwable error, String context) {
        DeadLetter letter = DeadLetter.of(consumer, sourceTopic, partition, offset, key, value, error, Instant.now());
        if (context != null) {
            letter = new DeadLetter(letter.sourceTopic(), letter.sourcePartition(), letter.sourceOffset(),
                    letter.consumer(), letter.errorClass(), context + ": " + letter.errorMessage(), letter.key(),
                    letter.value(), letter.valueBase64(), letter.valueBytes(), letter.valueTruncated(),
                    letter.failedAt());
        }
        LOG.log(System.Logger.Level.WARNING, consumer + ": dead-lettering " + sourceTopic + "-" + partition + "@"
                + offset + " (" + letter.errorClass() + ": " + letter.errorMessage() + ")");
        written.increment();
        return DeadLetters.record(topic, letter, ceSource);
    }

    private static StreamsDeadLetters from(Map<String, ?> configs) {
        Object instance = configs.get(INSTANCE);
        if (!(instance instanceof StreamsDeadLetters letters)) {
            throw new IllegalStateException("the Streams configuration has no " + INSTANCE
                    + " (build it with KafkaSettings.streams)");
        }
        return letters;
    }

    /** What the three handlers share: they find the application's instance in the configuration. */
    private abstract static class Handler implements Configurable {

        StreamsDeadLetters letters;

        @Override
        public void configure(Map<String, ?> configs) {
            letters = from(configs);
        }
    }

    /** A record a source cannot deserialize: dead-lettered, then skipped. */
    public static final class OnDeserialization extends Handler implements DeserializationExceptionHandler {

        @Override
        public Response handleError(ErrorHandlerContext context,
                                    org.apache.kafka.clients.consumer.ConsumerRecord<byte[], byte[]> record,
                                    Exception exception) {
            return Response.resume(List.of(letters.ofInput(context, exception)));
        }
    }

    /**
     * A record a processor throws on: dead-lettered, then skipped. Not when what failed is Kafka or Kafka Streams
     * itself (a state store that cannot be written, a client error): that is a fault of this instance, not of the
     * record, and dead-lettering would throw away every record until it passes; the task fails instead, and the
     * thread is replaced or the client stops ({@code StreamsSupervisor}). A punctuation that throws has no record to
     * dead-letter: it is logged and runs again at its next interval.
     */
    public static final class OnProcessing extends Handler implements ProcessingExceptionHandler {

        @Override
        public Response handleError(ErrorHandlerContext context, Record<?, ?> record, Exception exception) {
            if (exception instanceof StreamsException
                    || (exception instanceof KafkaException && !(exception instanceof SerializationException))) {
                LOG.log(System.Logger.Level.ERROR, letters.consumer + ": " + context.processorNodeId()
                        + " failed on Kafka itself, not on the record; failing the task", exception);
                return Response.fail();
            }
            if (context.topic() == null) {
                LOG.log(System.Logger.Level.ERROR, letters.consumer + ": punctuation of "
                        + context.processorNodeId() + " failed; it runs again at its next interval", exception);
                return Response.resume();
            }
            return Response.resume(List.of(letters.ofInput(context, exception)));
        }
    }

    /**
     * An output that cannot be written. A retriable error (the cluster away, a leader moving) is retried: the task
     * starts again from its last commit, nothing is lost or repeated. Any other error dead-letters the lost output
     * (its key and value, with the coordinates of the input that produced it) and the task goes on. An output of a
     * punctuation (no input record to name) and a dead letter that itself cannot be written fail the task instead:
     * the client's state reports it.
     */
    public static final class OnProduction extends Handler implements ProductionExceptionHandler {

        @Override
        public Response handleError(ErrorHandlerContext context, ProducerRecord<byte[], byte[]> record,
                                    Exception exception) {
            if (exception instanceof RetriableException) {
                return Response.retry();
            }
            return lost(context, record.topic(), record.key(), record.value(), exception);
        }

        @Override
        @SuppressWarnings("rawtypes")
        public Response handleSerializationError(ErrorHandlerContext context, ProducerRecord record,
                                                 Exception exception, SerializationExceptionOrigin origin) {
            // The output never became bytes: the input that produced it is what can be looked at again.
            if (context.topic() == null) {
                return Response.fail();
            }
            return Response.resume(List.of(letters.ofInput(context, exception)));
        }

        private Response lost(ErrorHandlerContext context, String target, byte[] key, byte[] value,
                              Exception exception) {
            if (context.topic() == null || letters.topic.equals(target)) {
                LOG.log(System.Logger.Level.ERROR, letters.consumer + ": cannot write to " + target
                        + " and has no input record to dead-letter; failing the task", exception);
                return Response.fail();
            }
            return Response.resume(List.of(letters.letter(context.topic(), context.partition(), context.offset(),
                    key == null ? null : new String(key, StandardCharsets.UTF_8), value, exception,
                    "could not write its output (the value here) to " + target)));
        }
    }
}
