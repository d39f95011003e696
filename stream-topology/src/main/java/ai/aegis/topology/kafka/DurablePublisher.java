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
import java.util.function.Supplier;

/**
 * Writes records with CloudEvents headers and tells the caller, within a bound, whether the cluster acknowledged
 * them. One instance serves a whole process; it is thread-safe.
 *
 * <p>Two producers: the prompt one, whose delivery timeout is the ack timeout (a write the caller was told failed
 * is given up, not retried behind its back), and, created on the first {@link #publishPatiently}, a patient one
 * without a delivery timeout for the writes that must land once and only once (terminal events, step results, dead
 * letters).
 */
public final class DurablePublisher implements RecordPublisher, AutoCloseable {

    private static final System.Logger LOG = System.getLogger(DurablePublisher.class.getName());
    /** How often a patient write that is still not acknowledged says so in the log. */
    private static final long PATIENT_REPORT_MS = 30_000;

    private final Producer<String, byte[]> producer;
    private final Supplier<Producer<String, byte[]>> patientFactory;
    private final Duration ackTimeout;
    private final String source;
    private Producer<String, byte[]> patient;
    private boolean closed;

    public DurablePublisher(KafkaSettings settings, String source) {
        this.producer = new KafkaProducer<>(settings.producer());
        this.patientFactory = () -> new KafkaProducer<>(settings.patientProducer());
        this.ackTimeout = settings.ackTimeout();
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
        return send(producer, record);
    }

    private static CompletableFuture<RecordMetadata> send(Producer<String, byte[]> producer,
                                                          ProducerRecord<String, byte[]> record) {
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
     * Publishes a record that must not be lost, however long Kafka is away, and must not be stored twice: the patient
     * producer retries it by itself (the broker recognises a retried batch and keeps one copy) until it is durable.
     * It is sent again only after the cluster refused it outright, which stored nothing. What this process sent
     * before on the prompt producer is flushed first, so that a terminal event never overtakes the events before it.
     * Only an interrupt (the caller is closing) or a closed publisher gives up waiting.
     */
    public RecordMetadata publishPatiently(String topic, String key, byte[] value, String ceType)
            throws UnavailableException, InterruptedException {
        return publishPatiently(record(topic, key, value, ceType));
    }

    /** {@link #publishPatiently(String, String, byte[], String)} for a record whose headers the caller built. */
    public RecordMetadata publishPatiently(ProducerRecord<String, byte[]> record)
            throws UnavailableException, InterruptedException {
        String what = CloudEventHeaders.get(record.headers(), CloudEventHeaders.TYPE).orElse("a record") + " for "
                + record.key();
        long backoffMs = 500;
        try {
            // waits at most the prompt producer's delivery timeout: its records are then written or given up
            producer.flush();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "flushing before writing " + what + " failed: " + e.getMessage());
        }
        for (int attempt = 1; ; attempt++) {
            CompletableFuture<RecordMetadata> future = send(patient(), record);
            try {
                return awaitPatiently(future, what);
            } catch (ExecutionException e) {
                LOG.log(System.Logger.Level.WARNING, "writing " + what + " was refused (attempt " + attempt
                        + "), sending it again: " + e.getCause().getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new UnavailableException("interrupted while waiting for Kafka to take " + what, e);
            }
            Thread.sleep(backoffMs); // a retry backoff, not synchronisation
            backoffMs = Math.min(backoffMs * 2, 30_000);
        }
    }

    private static RecordMetadata awaitPatiently(CompletableFuture<RecordMetadata> future, String what)
            throws ExecutionException, InterruptedException {
        for (long waited = PATIENT_REPORT_MS; ; waited += PATIENT_REPORT_MS) {
            try {
                return future.get(PATIENT_REPORT_MS, TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                LOG.log(System.Logger.Level.WARNING, "writing " + what + " not acknowledged after "
                        + waited / 1000 + " s; the producer keeps retrying it");
            }
        }
    }

    private synchronized Producer<String, byte[]> patient() throws UnavailableException {
        if (closed) {
            // the process is stopping: the caller's write is not durable, and will not be retried here
            throw new UnavailableException("the publisher is closed", null);
        }
        if (patient == null) {
            patient = patientFactory.get();
        }
        return patient;
    }

    private ProducerRecord<String, byte[]> record(String topic, String key, byte[] value, String ceType) {
        return new ProducerRecord<>(topic, null, key, value, CloudEventHeaders.of(ceType, source, key, Instant.now()));
    }

    @Override
    public void close() {
        Producer<String, byte[]> p;
        synchronized (this) {
            closed = true;
            p = patient;
        }
        producer.close(Duration.ofSeconds(5));
        if (p != null) {
            p.close(Duration.ofSeconds(5));
        }
    }

    /** The cluster could not take a write in time; the caller answers 503 and loses nothing. */
    public static final class UnavailableException extends Exception {
        public UnavailableException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
