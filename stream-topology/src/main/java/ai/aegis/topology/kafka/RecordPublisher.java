package ai.aegis.topology.kafka;

import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * Writes one record with CloudEvents headers and returns once it is durable. {@link DurablePublisher} writes to
 * Kafka; routes and services depend on this interface so that they can be tested without a broker.
 */
@FunctionalInterface
public interface RecordPublisher {

    /**
     * @param value the record, or null for a tombstone
     * @return where the record was written
     * @throws DurablePublisher.UnavailableException when the write was not acknowledged in time (nothing is
     *                                               promised about it; the caller answers 503)
     */
    RecordMetadata publish(String topic, String key, byte[] value, String ceType)
            throws DurablePublisher.UnavailableException;
}
