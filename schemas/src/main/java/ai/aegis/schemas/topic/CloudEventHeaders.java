package ai.aegis.schemas.topic;

import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/**
 * CloudEvents 1.0 Kafka protocol binding, binary mode: attributes travel as {@code ce_*} headers and the record
 * value is the event data itself (the same JSON the API serves).
 */
public final class CloudEventHeaders {

    public static final String SPEC_VERSION = "1.0";
    public static final String ID = "ce_id";
    public static final String TYPE = "ce_type";
    public static final String SOURCE = "ce_source";
    public static final String TIME = "ce_time";
    public static final String SPECVERSION = "ce_specversion";
    public static final String SUBJECT = "ce_subject";
    public static final String CONTENT_TYPE = "content-type";

    private CloudEventHeaders() {
    }

    /** The {@code ce_type} of an event: {@code ai.aegis.<aggregate>.<event_type>.v1}. */
    public static String type(String aggregate, String eventType) {
        return "ai.aegis." + aggregate + "." + eventType + ".v1";
    }

    /**
     * @param type    event type, e.g. {@code ai.aegis.execution.execution_started.v1}
     * @param source  the producing component, e.g. {@code /aegis/worker/host-1}
     * @param subject the aggregate id (same as the record key)
     */
    public static Headers of(String type, String source, String subject, Instant time) {
        RecordHeaders headers = new RecordHeaders();
        put(headers, ID, UUID.randomUUID().toString());
        put(headers, TYPE, type);
        put(headers, SOURCE, source);
        put(headers, TIME, time.toString());
        put(headers, SPECVERSION, SPEC_VERSION);
        if (subject != null) {
            put(headers, SUBJECT, subject);
        }
        put(headers, CONTENT_TYPE, "application/json");
        return headers;
    }

    public static Optional<String> get(Headers headers, String name) {
        Header header = headers.lastHeader(name);
        return header == null || header.value() == null
                ? Optional.empty()
                : Optional.of(new String(header.value(), StandardCharsets.UTF_8));
    }

    private static void put(Headers headers, String name, String value) {
        headers.add(name, value.getBytes(StandardCharsets.UTF_8));
    }
}
