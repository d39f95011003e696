package ai.aegis.ingress.registry;

import ai.aegis.topology.kafka.DurablePublisher;
import ai.aegis.topology.kafka.RecordPublisher;
import ai.aegis.topology.tail.ViewProgress;
import org.apache.kafka.clients.producer.RecordMetadata;

import java.time.Duration;

/**
 * Writes a compacted registry topic (agents, workflows) and waits until this node's view has read the write, so
 * that a read right after a deploy or a delete sees it.
 */
public final class RegistryWriter {

    private static final System.Logger LOG = System.getLogger(RegistryWriter.class.getName());

    private final RecordPublisher publisher;
    private final ViewProgress views;
    private final String topic;
    private final Duration readYourWrites;

    public RegistryWriter(RecordPublisher publisher, ViewProgress views, String topic, Duration readYourWrites) {
        this.publisher = publisher;
        this.views = views;
        this.topic = topic;
        this.readYourWrites = readYourWrites;
    }

    /** @param value the record, or null for a tombstone */
    public void write(String key, byte[] value, String ceType) throws DurablePublisher.UnavailableException {
        RecordMetadata md = publisher.publish(topic, key, value, ceType);
        try {
            if (!views.awaitApplied(md.topic(), md.partition(), md.offset(), readYourWrites)) {
                // Durable but not yet visible here: still a success, other reads catch up shortly.
                LOG.log(System.Logger.Level.WARNING, "the view of " + topic + " lags behind its own write of " + key);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
