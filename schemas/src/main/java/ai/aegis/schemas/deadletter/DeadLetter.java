package ai.aegis.schemas.deadletter;

import ai.aegis.schemas.topic.CloudEventHeaders;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;

/**
 * A record some consumer could not read or process, as it lands on the dead-letter topic: where it came from, who
 * gave up on it and why, and the record itself. Every consumer of the system (the workers, every tail, the Kafka
 * Streams applications) writes this one form, so that one reader (an operator, {@code GET /v1/dead-letters}, a
 * replay tool) understands them all. The dead letter's key is the failed record's key, its value this JSON, and its
 * headers repeat the source and the error ({@link #SOURCE_TOPIC}, ...) for tools that only read headers.
 *
 * @param sourceTopic     the topic the failed record was read from
 * @param sourcePartition its partition
 * @param sourceOffset    its offset
 * @param consumer        who gave up on it, e.g. {@code execution-worker}, {@code ingress-tail}, {@code workflow-engine}
 * @param errorClass      the exception's class name
 * @param errorMessage    the exception's message (may be null)
 * @param key             the record's key as text (null when it had none)
 * @param value           the record's value when it is valid UTF-8 text (null otherwise, or when it had none)
 * @param valueBase64     the record's value in base64 when it is not valid UTF-8 (null otherwise)
 * @param valueBytes      the size of the record's value in bytes (-1 when it had none)
 * @param valueTruncated  true when only the first {@link #MAX_VALUE_BYTES} bytes of the value are kept
 * @param failedAt        when the consumer gave up
 */
public record DeadLetter(String sourceTopic, int sourcePartition, long sourceOffset, String consumer,
                         String errorClass, String errorMessage, String key, String value, String valueBase64,
                         long valueBytes, boolean valueTruncated, Instant failedAt) {

    /** {@code ce_type} of every dead letter. */
    public static final String CE_TYPE = CloudEventHeaders.type("deadletter", "dead_lettered");

    /** Headers of a dead letter, besides the CloudEvents ones. */
    public static final String SOURCE_TOPIC = "aegis_dlq_source_topic";
    public static final String SOURCE_PARTITION = "aegis_dlq_source_partition";
    public static final String SOURCE_OFFSET = "aegis_dlq_source_offset";
    public static final String CONSUMER = "aegis_dlq_consumer";
    public static final String ERROR_CLASS = "aegis_dlq_error_class";
    public static final String ERROR_MESSAGE = "aegis_dlq_error_message";

    /**
     * How much of a failed value is kept: a dead letter must fit a topic's record size limit (1 MiB by default)
     * however large the record that failed was, base64 included.
     */
    public static final int MAX_VALUE_BYTES = 256 * 1024;
    /** Error messages are cut to this many characters (a stack of causes can be long). */
    public static final int MAX_MESSAGE_CHARS = 2000;

    public DeadLetter {
        Objects.requireNonNull(sourceTopic, "sourceTopic");
        Objects.requireNonNull(consumer, "consumer");
        Objects.requireNonNull(errorClass, "errorClass");
        Objects.requireNonNull(failedAt, "failedAt");
    }

    /**
     * The dead letter of one failed record.
     *
     * @param value the record's raw value (may be null)
     * @param error why it failed
     */
    public static DeadLetter of(String consumer, String topic, int partition, long offset, String key, byte[] value,
                                Throwable error, Instant now) {
        Objects.requireNonNull(error, "error");
        String message = error.getMessage();
        if (message != null && message.length() > MAX_MESSAGE_CHARS) {
            message = message.substring(0, MAX_MESSAGE_CHARS);
        }
        if (value == null) {
            return new DeadLetter(topic, partition, offset, consumer, error.getClass().getName(), message, key, null,
                    null, -1, false, now);
        }
        boolean truncated = value.length > MAX_VALUE_BYTES;
        byte[] kept = truncated ? Arrays.copyOf(value, MAX_VALUE_BYTES) : value;
        String text = utf8(kept);
        return new DeadLetter(topic, partition, offset, consumer, error.getClass().getName(), message, key, text,
                text == null ? Base64.getEncoder().encodeToString(kept) : null, value.length, truncated, now);
    }

    /** The value as it was read (the kept part of it when {@link #valueTruncated()}); null when it had none. */
    public byte[] valueAsBytes() {
        if (value != null) {
            return value.getBytes(StandardCharsets.UTF_8);
        }
        return valueBase64 == null ? null : Base64.getDecoder().decode(valueBase64);
    }

    private static String utf8(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }
}
