package ai.aegis.worker.kafka;

import ai.aegis.schemas.execution.ExecutionEvent;
import ai.aegis.schemas.json.Json;
import ai.aegis.schemas.topic.CloudEventHeaders;
import ai.aegis.topology.kafka.DurablePublisher;
import ai.aegis.worker.execution.EventSink;

/**
 * Publishes an execution's events keyed by execution id: one partition per execution, so consumers read them in
 * the order they were emitted (the idempotent producer keeps that order through retries).
 */
public final class KafkaEventSink implements EventSink {

    private static final System.Logger LOG = System.getLogger(KafkaEventSink.class.getName());

    private final DurablePublisher publisher;
    private final String topic;

    public KafkaEventSink(DurablePublisher publisher, String topic) {
        this.publisher = publisher;
        this.topic = topic;
    }

    public static String ceType(ExecutionEvent event) {
        return CloudEventHeaders.type("execution", event.type());
    }

    @Override
    public void emit(ExecutionEvent event) {
        publisher.send(topic, event.executionId(), Json.writeBytes(event), ceType(event)).whenComplete((md, e) -> {
            if (e != null) {
                LOG.log(System.Logger.Level.ERROR, "event " + event.type() + " of " + event.executionId()
                        + " was not written: " + e.getMessage());
            }
        });
    }

    /** Terminal events must land: an outage of Kafka is waited out rather than losing the end of an execution. */
    @Override
    public void emitDurably(ExecutionEvent event) throws DurablePublisher.UnavailableException, InterruptedException {
        publisher.publishPatiently(topic, event.executionId(), Json.writeBytes(event), ceType(event));
    }
}
