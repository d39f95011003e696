package ai.aegis.topology.kafka;

import ai.aegis.schemas.topic.CloudEventHeaders;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Writes records with CloudEvents headers and tells the caller, within a bound, whether the cluster acknowledged
 * them. One instance (one producer) serves a whole process; it is thread-safe.
 */
public final class DurablePublisher implements RecordPublisher, AutoCloseable {

    private final Producer<String, byte[]> producer;
    private final Duration ackTimeout;
    private final String source;

    public DurablePublisher(KafkaSettings settings, String source) {
        this(new KafkaProducer<>(settings.producer()), settings.ackTimeout(), source);
    }

    public DurablePublisher(Producer<String, byte[]> producer, Duration ackTimeout, String source) {
        this.producer = producer;
        this.ackTimeout = ackTimeout;
        this.source = source;
    }

    /** The CloudEvents {@code source} of a component on this host, e.g. {@code /aegis/worker/host-1}. */
    public static String sourceOf(String component) {
        String host;
        try {
            host = java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.net.UnknownHostException e) {
            host = "localhost";
        }
        return "/aegis/" + component + "/" + host;
    }

    /** The CloudEvents {@code source} this publisher writes. */
    public String source() {
        return source;
    }

    /** Sends without waiting; the future completes when the cluster acknowledged the write. */
    public CompletableFuture<RecordMetadata> send(String topic, String key, byte[] value, String ceType) {
        return send(record(topic, key, value, ceType));
    }

    /** Sends a record whose headers the caller built (with {@link CloudEventHeaders#of} and more). */
    public CompletableFuture<RecordMetadata> send(ProducerRecord<String, byte[]> record) {
        CompletableFuture<RecordMetadata> result = new CompletableFuture<>();
        try {
            producer.send(record, (metadata, error) -> {
                if (error != null) {
                    result.completeExceptionally(error);
                } else {
                    result.complete(metadata);
                }
            });
        } catch (RuntimeException e) {
            // send() itself fails when metadata cannot be fetched within max.block.ms (cluster down at start-up)
            result.completeExceptionally(e);
        }
        return result;
    }

    /**
     * Sends and waits until the write is durable.
     *
     * @throws UnavailableException when the cluster did not acknowledge within the ack timeout
     */
    @Override
    public RecordMetadata publish(String topic, String key, byte[] value, String ceType) throws UnavailableException {
        return publish(record(topic, key, value, ceType));
    }

    /** Sends a record whose headers the caller built and waits until it is durable. */
    public RecordMetadata publish(ProducerRecord<String, byte[]> record) throws UnavailableException {
        CompletableFuture<RecordMetadata> future = send(record);
        try {
            return future.get(ackTimeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new UnavailableException("Kafka did not acknowledge the write within " + ackTimeout.toMillis() + " ms", e);
        } catch (ExecutionException e) {
            throw new UnavailableException("Kafka did not take the write: " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UnavailableException("interrupted while waiting for Kafka", e);
        }
    }

    /**
     * Publishes a record that must not be lost, however long Kafka is away: retries with a capped backoff (the
     * producer reconnects by itself) until it is durable. Only an interrupt (the caller is closing) gives up.
     */
    public RecordMetadata publishPatiently(String topic, String key, byte[] value, String ceType)
            throws UnavailableException, InterruptedException {
        return publishPatiently(record(topic, key, value, ceType));
    }

    /** {@link #publishPatiently(String, String, byte[], String)} for a record whose headers the caller built. */
    public RecordMetadata publishPatiently(ProducerRecord<String, byte[]> record)
            throws UnavailableException, InterruptedException {
        long backoffMs = 500;
        for (int attempt = 1; ; attempt++) {
            try {
                return publish(record);
            } catch (UnavailableException e) {
                System.getLogger(DurablePublisher.class.getName()).log(System.Logger.Level.WARNING,
                        "writing " + CloudEventHeaders.get(record.headers(), CloudEventHeaders.TYPE).orElse("a record")
                                + " for " + record.key() + " failed (attempt " + attempt + "), retrying: "
                                + e.getMessage());
                if (Thread.currentThread().isInterrupted()) {
                    throw e;
                }
                Thread.sleep(backoffMs); // a retry backoff, not synchronisation
                backoffMs = Math.min(backoffMs * 2, 30_000);
            }
        }
    }

    private ProducerRecord<String, byte[]> record(String topic, String key, byte[] value, String ceType) {
        return new ProducerRecord<>(topic, null, key, value, CloudEventHeaders.of(ceType, source, key, Instant.now()));
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }

    /** The cluster could not take a write in time; the caller answers 503 and loses nothing. */
    public static final class UnavailableException extends Exception {
        public UnavailableException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
