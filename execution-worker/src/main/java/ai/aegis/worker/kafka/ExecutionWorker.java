package ai.aegis.worker.kafka;

import ai.aegis.schemas.execution.ExecutionEvent;
import ai.aegis.schemas.execution.ExecutionRequest;
import ai.aegis.schemas.execution.ExecutionStatus;
import ai.aegis.schemas.json.Json;
import ai.aegis.schemas.workflow.WorkflowStepResult;
import ai.aegis.topology.deadletter.DeadLetters;
import ai.aegis.topology.kafka.KafkaSettings;
import ai.aegis.worker.WorkerConfig;
import ai.aegis.worker.execution.EventSink;
import ai.aegis.worker.execution.ExecutionControl;
import ai.aegis.worker.execution.ExecutionControls;
import ai.aegis.worker.execution.ExecutionRunner;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.clients.consumer.ShareConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.apache.kafka.common.errors.InvalidGroupIdException;
import org.apache.kafka.common.errors.UnsupportedVersionException;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A worker on the workers' Kafka share group (KIP-932): execution requests are work items, not an ordered stream,
 * so any number of workers take them whatever the partition count, one worker at a time per request.
 *
 * <ul>
 * <li><b>One share consumer per slot.</b> The worker runs at most {@code concurrency} executions; each slot is a
 * share consumer that acquires one request at a time ({@code record_limit}, one record) and only when it is free,
 * so a request is never locked by a worker that cannot start it, and nothing waits in a local queue.</li>
 * <li><b>Acknowledged when its end is durable.</b> A request is {@code ACCEPT}ed only once its execution's terminal
 * event is on the events topic; a graceful stop abandons the running executions and {@code RELEASE}s their requests
 * at once; a request that cannot be read or validated is {@code REJECT}ed after it was copied to the dead-letter
 * topic. A worker that dies acknowledges nothing: its locks run out and the requests are delivered again.</li>
 * <li><b>Renewed while it runs.</b> An execution may run far longer than the acquisition lock
 * ({@code aegis.worker.failover-timeout-ms}): its slot {@code RENEW}s the lock every third of it.</li>
 * <li><b>Run attempts, fenced.</b> The n-th delivery of a request runs attempt n (more when the events topic already
 * shows attempts). Before a run writes its end it confirms with Kafka that this worker still holds the request; a
 * run that lost it (its worker was frozen or cut off past the lock) is superseded and writes nothing more. Readers
 * ignore what a superseded attempt wrote after a newer one began.</li>
 * <li><b>Never twice.</b> A request whose execution already has a terminal event is acknowledged without running;
 * one delivered more than {@code max-attempts} times ends as failed instead of running again; the share group's
 * delivery limit (one more) bounds a request that kills every worker that takes it.</li>
 * </ul>
 */
public final class ExecutionWorker implements AutoCloseable {

    /** The name of the worker's request consumer in its dead letters and metrics. */
    public static final String CONSUMER = "execution-worker";

    private static final System.Logger LOG = System.getLogger(ExecutionWorker.class.getName());
    /** How long a free slot waits in one poll; also how soon it notices a close. */
    private static final Duration IDLE_POLL = Duration.ofSeconds(1);
    /** How long an acknowledgement may take to be confirmed. */
    private static final Duration COMMIT_TIMEOUT = Duration.ofSeconds(10);
    /** How long a close waits for abandoned executions to stop before releasing their requests anyway. */
    private static final long ABANDON_WAIT_MS = 15_000;
    /** How long one attempt to bring the ledger up to date may take before the slot retries. */
    private static final Duration LEDGER_WAIT = Duration.ofSeconds(5);
    /** Between retries of a slot whose consumer failed, and of a ledger that could not be brought up to date. */
    private static final long RETRY_BACKOFF_MS = 1_000;

    /** How a delivered request is acknowledged once its slot is done with it. */
    enum Ack {
        ACCEPT(AcknowledgeType.ACCEPT), RELEASE(AcknowledgeType.RELEASE), REJECT(AcknowledgeType.REJECT),
        /** The worker no longer holds it (its lock ran out): there is nothing to acknowledge. */
        NONE(null);

        final AcknowledgeType type;

        Ack(AcknowledgeType type) {
            this.type = type;
        }
    }

    private final KafkaSettings kafka;
    private final WorkerConfig config;
    private final String topic;
    private final ExecutionRunner runner;
    private final EventSink events;
    private final AttemptSteps steps;
    private final ExecutionControls controls;
    private final DeadLetters deadLetters;
    private final Admin admin;
    private final ExecutionLedger ledger;
    private final List<Slot> slots = new ArrayList<>();
    private final ExecutorService executions = Executors.newVirtualThreadPerTaskExecutor();
    private final AtomicInteger active = new AtomicInteger();
    private volatile boolean closing;

    /**
     * @param events      where executions' events go (the events topic)
     * @param steps       the runner's step reporter, which this worker tells which run reports
     * @param deadLetters where unreadable requests are copied before they are rejected
     */
    public ExecutionWorker(KafkaSettings kafka, WorkerConfig config, ExecutionRunner runner, EventSink events,
                           AttemptSteps steps, ExecutionControls controls, DeadLetters deadLetters) {
        this.kafka = kafka;
        this.config = config;
        this.topic = kafka.topics().executionRequests().name();
        this.runner = runner;
        this.events = events;
        this.steps = steps;
        this.controls = controls;
        this.deadLetters = deadLetters;
        this.admin = Admin.create(kafka.admin());
        this.ledger = new ExecutionLedger(kafka, admin, config.rememberedExecutions());
        for (int i = 0; i < config.concurrency(); i++) {
            slots.add(new Slot(i));
        }
    }

    /**
     * Configures the share group, then starts the ledger and the slots.
     *
     * @throws IllegalStateException when the share group cannot be configured (the message says what to do)
     */
    public ExecutionWorker start() {
        ShareGroupSettings.ensure(admin, config.groupId(),
                ShareGroupSettings.of(config.failoverTimeout(), config.maxAttempts()), config.topicInstallTimeout());
        ledger.start();
        slots.forEach(Slot::start);
        return this;
    }

    /** Executions running on this worker now. */
    public int active() {
        return active.get();
    }

    /**
     * True while the worker consumes: every slot's loop is alive. A slot stops only on an error it cannot get past
     * (its group id is another kind of group, it may not read the topic or the group); it logs why.
     */
    public boolean running() {
        return !closing && slots.stream().allMatch(s -> s.alive);
    }

    /**
     * Graceful stop: running executions are abandoned (their sandboxes killed, an {@code iteration_failed} of type
     * {@code handover} written) and their requests released, so that another worker runs them at once.
     */
    @Override
    public void close() {
        closing = true;
        for (ExecutionControl c : controls.running()) {
            c.abandon("the worker is shutting down");
        }
        for (Slot slot : slots) {
            slot.join(ABANDON_WAIT_MS + COMMIT_TIMEOUT.toMillis() + 10_000);
        }
        executions.shutdownNow();
        ledger.close();
        admin.close(Duration.ofSeconds(5));
    }

    /** What a slot's thread is told while it holds a request. */
    private sealed interface Signal permits Finished, Confirm {
    }

    /** The delivery is done with its request. */
    private record Finished(Ack ack) implements Signal {
    }

    /** The run asks whether this worker still holds its request (before it writes its end). */
    private record Confirm(CompletableFuture<Boolean> answer) implements Signal {
    }

    /**
     * A request this slot holds: the record as the consumer last returned it, the delivery working on it, and
     * whether the lock is still ours.
     */
    private static final class Held {
        final Delivery delivery;
        ConsumerRecord<String, byte[]> record;
        boolean lost;
        /** The consumer returned the record and it has not been acknowledged since: it must be, before a poll. */
        boolean inFlight = true;
        long confirmedAtNanos = System.nanoTime();

        Held(Delivery delivery) {
            this.delivery = delivery;
            this.record = delivery.record;
        }
    }

    /**
     * One slot: a share consumer on its own platform thread, which holds at most one request and keeps its lock
     * while the execution runs on a virtual thread. The consumer is used by this thread only.
     */
    private final class Slot {
        private final int index;
        /** A delivery sends at most one confirm at a time, then one finished: four never fills. */
        private final BlockingQueue<Signal> signals = new ArrayBlockingQueue<>(4);
        private volatile boolean alive = true;
        private volatile boolean holding;
        private volatile long lockMs = config.failoverTimeout().toMillis();
        private ShareConsumer<String, byte[]> consumer;
        private Thread thread;

        Slot(int index) {
            this.index = index;
        }

        void start() {
            thread = Thread.ofPlatform().name("execution-slot-" + index).start(this::run);
        }

        void join(long millis) {
            if (thread == null) {
                return;
            }
            try {
                thread.join(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        private void run() {
            try {
                while (!closing) {
                    try {
                        String client = (kafka.clientId() == null ? "aegis-worker" : kafka.clientId()) + "-slot-"
                                + index;
                        consumer = new KafkaShareConsumer<>(kafka.withClientId(client)
                                .shareConsumer(config.groupId(), 1));
                        consume();
                    } catch (GroupIdNotFoundException | InvalidGroupIdException | AuthenticationException
                             | AuthorizationException | UnsupportedVersionException e) {
                        // nothing a retry can change: the slot stops and the worker reports it is not running
                        LOG.log(System.Logger.Level.ERROR, "execution slot " + index + " stopped: " + e, e);
                        return;
                    } catch (RuntimeException e) {
                        LOG.log(System.Logger.Level.ERROR, "execution slot " + index + " failed, it starts again with"
                                + " a new consumer: " + e, e);
                        closeConsumer();
                        Thread.sleep(RETRY_BACKOFF_MS); // a retry backoff, not synchronisation
                    } finally {
                        closeConsumer();
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Throwable t) {
                LOG.log(System.Logger.Level.ERROR, "execution slot " + index + " stopped: " + t, t);
            } finally {
                alive = false;
            }
        }

        private void closeConsumer() {
            ShareConsumer<String, byte[]> c = consumer;
            consumer = null;
            if (c != null) {
                try {
                    c.close(Duration.ofSeconds(5)); // releases whatever is still acquired
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.WARNING, "execution slot " + index + ": closing its consumer: " + e);
                }
            }
        }

        /** Polls while free, holds what it gets until its delivery is done. */
        private void consume() throws InterruptedException {
            consumer.subscribe(List.of(topic));
            while (!closing) {
                // Keys are decoded leniently (UTF-8 with replacement) and values are bytes: a record is never
                // undeserializable here, whatever it holds; reading it is the delivery's business.
                ConsumerRecords<String, byte[]> records = consumer.poll(IDLE_POLL);
                Iterator<ConsumerRecord<String, byte[]>> it = records.iterator();
                if (!it.hasNext()) {
                    continue;
                }
                ConsumerRecord<String, byte[]> first = it.next();
                boolean extra = false;
                while (it.hasNext()) { // record_limit with one record: not expected, and never kept
                    consumer.acknowledge(it.next(), AcknowledgeType.RELEASE);
                    extra = true;
                }
                consumer.acquisitionLockTimeoutMs().ifPresent(ms -> lockMs = ms);
                if (closing) {
                    consumer.acknowledge(first, AcknowledgeType.RELEASE);
                    commit();
                    return;
                }
                if (extra) {
                    commit();
                }
                hold(first);
            }
        }

        /** Runs the delivery of {@code record} and keeps its lock until the delivery says how to acknowledge. */
        private void hold(ConsumerRecord<String, byte[]> record) throws InterruptedException {
            Held held = new Held(new Delivery(record, this));
            signals.clear();
            holding = true;
            active.incrementAndGet();
            try {
                executions.submit(held.delivery);
            } catch (RuntimeException e) { // the executor is shut down: closing
                active.decrementAndGet();
                holding = false;
                finish(held, Ack.RELEASE);
                return;
            }
            Ack ack = null;
            try {
                long renewEveryNanos = TimeUnit.MILLISECONDS.toNanos(Math.max(200, lockMs / 3));
                long nextRenew = System.nanoTime() + renewEveryNanos;
                long giveUpAt = Long.MAX_VALUE;
                while (ack == null) {
                    long now = System.nanoTime();
                    if (closing && giveUpAt == Long.MAX_VALUE) {
                        giveUpAt = now + TimeUnit.MILLISECONDS.toNanos(ABANDON_WAIT_MS);
                    }
                    if (now - giveUpAt >= 0) {
                        LOG.log(System.Logger.Level.WARNING, "execution slot " + index + ": the execution of "
                                + record.key() + " did not stop within " + ABANDON_WAIT_MS + " ms of the close; its "
                                + "request is released with the consumer");
                        return;
                    }
                    Signal signal = signals.poll(Math.max(0, Math.min(nextRenew, giveUpAt) - now),
                            TimeUnit.NANOSECONDS);
                    switch (signal) {
                        case Finished f -> ack = f.ack();
                        case Confirm c -> {
                            c.answer().complete(renew(held, true));
                            nextRenew = System.nanoTime() + renewEveryNanos;
                        }
                        case null -> {
                            if (System.nanoTime() - nextRenew >= 0) {
                                if (renew(held, false)) {
                                    checkNotSuperseded(held);
                                }
                                nextRenew = System.nanoTime() + renewEveryNanos;
                            }
                        }
                    }
                }
            } finally {
                holding = false;
                // a run still waiting for an answer gets one: this slot no longer speaks for its request
                for (Signal s; (s = signals.poll()) != null; ) {
                    if (s instanceof Confirm c) {
                        c.answer().complete(false);
                    }
                }
            }
            finish(held, ack);
        }

        /**
         * Renews the lock of the held request and takes the record back (a renewed record is returned by the next
         * poll, and only a record the consumer returned can be acknowledged).
         *
         * @param mustKnow a run is about to write its end: when Kafka cannot say, ask again (within the lock) rather
         *                 than guess
         * @return whether this worker still holds the request
         */
        private boolean renew(Held held, boolean mustKnow) throws InterruptedException {
            while (!held.lost) {
                try {
                    consumer.acknowledge(held.record, AcknowledgeType.RENEW);
                    held.inFlight = false;
                    Optional<Optional<KafkaException>> result = resultOf(commit(), held.record);
                    if (result.isEmpty()) {
                        // the consumer did not send it: its share session was reset (this member was fenced
                        // while silent), so the lock belongs to a session that is gone
                        throw new KafkaException("the renewal was not confirmed by Kafka");
                    }
                    if (result.get().isPresent()) {
                        return lose(held, "Kafka refused to renew its lock (" + result.get().get().getMessage() + ")");
                    }
                    ConsumerRecord<String, byte[]> back = takeBack(held.record);
                    if (back == null) {
                        return lose(held, "the renewed request did not come back from Kafka");
                    }
                    held.record = back;
                    held.inFlight = true;
                    held.confirmedAtNanos = System.nanoTime();
                    return true;
                } catch (KafkaException | IllegalStateException e) {
                    // Kafka could not say (a timeout, a lost connection): the lock is presumed ours until it would
                    // have run out since it was last confirmed
                    long since = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - held.confirmedAtNanos);
                    if (since >= lockMs) {
                        return lose(held, "its lock could not be renewed for " + since + " ms (" + e + ")");
                    }
                    LOG.log(System.Logger.Level.WARNING, "execution slot " + index + ": renewing the lock of "
                            + held.record.key() + " failed, trying again: " + e);
                    if (!mustKnow) {
                        return true;
                    }
                    Thread.sleep(Math.min(RETRY_BACKOFF_MS, Math.max(1, lockMs - since))); // a retry backoff
                }
            }
            return false;
        }

        /**
         * A renewal can succeed for a worker that lost its request: Kafka ignores the acknowledgement of a record
         * that another worker has acknowledged already (it lies below the group's start offset). What this worker's
         * ledger has read of the events topic tells: a newer attempt has begun.
         */
        private void checkNotSuperseded(Held held) {
            ExecutionControl run = held.delivery.control;
            if (run != null && ledger.newerAttemptThan(run.executionId(), run.attempt())) {
                lose(held, "attempt " + run.attempt() + " was superseded by a newer one on the events topic");
            }
        }

        private boolean lose(Held held, String why) {
            held.lost = true;
            LOG.log(System.Logger.Level.WARNING, "execution slot " + index + ": this worker lost the request of "
                    + held.record.key() + ": " + why + "; its run is superseded");
            held.delivery.leaseLost(why);
            return false;
        }

        /** Polls until the renewed record is returned again; anything else it returns is released at once. */
        private ConsumerRecord<String, byte[]> takeBack(ConsumerRecord<String, byte[]> record) {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Math.max(1_000, lockMs / 3));
            while (System.nanoTime() - deadline < 0) {
                ConsumerRecord<String, byte[]> back = null;
                boolean released = false;
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                    if (r.partition() == record.partition() && r.offset() == record.offset()
                            && r.topic().equals(record.topic())) {
                        back = r;
                    } else {
                        consumer.acknowledge(r, AcknowledgeType.RELEASE);
                        released = true;
                    }
                }
                if (released) {
                    commit();
                }
                if (back != null) {
                    return back;
                }
            }
            return null;
        }

        /**
         * Acknowledges the held request as the delivery said. A request this worker no longer speaks for is
         * released if the consumer still holds it locally (it must acknowledge everything before it polls again;
         * Kafka ignores or refuses the release, whoever acknowledged it meanwhile).
         */
        private void finish(Held held, Ack ack) {
            if (held.lost || ack == Ack.NONE) {
                if (held.inFlight) {
                    try {
                        consumer.acknowledge(held.record, AcknowledgeType.RELEASE);
                        commit();
                    } catch (KafkaException | IllegalStateException e) {
                        LOG.log(System.Logger.Level.DEBUG, "execution slot " + index + ": releasing a lost request: "
                                + e);
                    }
                }
                return;
            }
            try {
                consumer.acknowledge(held.record, ack.type);
                Optional<Optional<KafkaException>> result = resultOf(commit(), held.record);
                LOG.log(System.Logger.Level.INFO, "execution slot " + index + ": the request of "
                        + held.record.key() + " acknowledged: " + ack);
                if (result.isEmpty() || result.get().isPresent()) {
                    // refused: the lock ran out; no result: the consumer dropped it (its share session was reset)
                    LOG.log(System.Logger.Level.WARNING, "execution slot " + index + ": the " + ack + " of "
                            + held.record.key() + (result.isPresent() ? " was refused (" + result.get().get()
                            .getMessage() + ")" : " was not confirmed by Kafka") + "; unless another worker has "
                            + "acknowledged it, the request will be delivered again" + (ack == Ack.ACCEPT
                            ? " and acknowledged then without running, its end being on the topic" : ""));
                }
            } catch (KafkaException | IllegalStateException e) {
                LOG.log(System.Logger.Level.WARNING, "execution slot " + index + ": could not " + ack + " "
                        + held.record.key() + " (" + e + "); the request will be delivered again");
            }
        }

        private Map<TopicIdPartition, Optional<KafkaException>> commit() {
            return consumer.commitSync(COMMIT_TIMEOUT);
        }

        /**
         * The lease of the run this slot holds the request of: asks the slot's thread, which owns the consumer, to
         * renew the lock now.
         */
        boolean confirm() throws InterruptedException {
            CompletableFuture<Boolean> answer = new CompletableFuture<>();
            if (!holding || !signals.offer(new Confirm(answer))) {
                return false;
            }
            try {
                return answer.get(2 * lockMs + 2 * COMMIT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.ExecutionException | TimeoutException e) {
                return false;
            }
        }

        void finished(Ack ack) {
            if (!signals.offer(new Finished(ack))) {
                LOG.log(System.Logger.Level.ERROR, "execution slot " + index + ": no room for the end of a delivery");
            }
        }
    }

    /**
     * The result of the acknowledgement of {@code record} in a commit's results: empty when the commit did not
     * acknowledge its partition at all, else the error (empty when it succeeded).
     */
    private static Optional<Optional<KafkaException>> resultOf(Map<TopicIdPartition, Optional<KafkaException>> results,
                                                               ConsumerRecord<?, ?> record) {
        return results.entrySet().stream()
                .filter(e -> e.getKey().partition() == record.partition() && e.getKey().topic().equals(record.topic()))
                .map(Map.Entry::getValue).findFirst();
    }

    /** One delivered request, from reading it to its end, on a virtual thread; tells its slot how to acknowledge. */
    private final class Delivery implements Runnable {
        private final ConsumerRecord<String, byte[]> record;
        private final Slot slot;
        /** Set by the slot's thread when the lock is gone; the run, once registered, is superseded. */
        private volatile String lostBecause;
        private volatile ExecutionControl control;

        Delivery(ConsumerRecord<String, byte[]> record, Slot slot) {
            this.record = record;
            this.slot = slot;
        }

        /** The slot lost the request's lock: whatever this delivery runs is superseded. */
        void leaseLost(String why) {
            lostBecause = why;
            ExecutionControl c = control;
            if (c != null) {
                c.supersede("this worker lost the execution's request: " + why);
            }
        }

        @Override
        public void run() {
            Ack ack = Ack.RELEASE;
            try {
                ack = deliver();
            } catch (InterruptedException e) {
                ack = Ack.RELEASE; // closing: another worker takes it
            } catch (Throwable t) {
                // a fault of this worker, not of the request: another delivery may get further (the delivery
                // limit bounds it)
                LOG.log(System.Logger.Level.ERROR, "the delivery of " + record.topic() + "-" + record.partition()
                        + "@" + record.offset() + " failed; the request is released: " + t, t);
            } finally {
                active.decrementAndGet();
                slot.finished(ack);
            }
        }

        private Ack deliver() throws Exception {
            ExecutionRequest request;
            try {
                request = RequestCheck.read(record.value());
            } catch (RequestCheck.InvalidRequestException e) {
                deadLetters.write(record.topic(), record.partition(), record.offset(), record.key(), record.value(),
                        e);
                return Ack.REJECT;
            }
            int deliveries = record.deliveryCount().map(Short::intValue).orElse(1);
            return switch (Admission.decide(deliveries, known(request.executionId()), config.maxAttempts())) {
                case Admission.Ended ended -> {
                    LOG.log(System.Logger.Level.INFO, "execution " + request.executionId() + " has ended already "
                            + "(attempt " + ended.attempt() + "): its request, delivered again, is acknowledged "
                            + "without running");
                    yield Ack.ACCEPT;
                }
                case Admission.GiveUp giveUp -> run(request, giveUp.attempt(), false);
                case Admission.Run run -> run(request, run.attempt(), true);
            };
        }

        /**
         * The lease of attempt {@code attempt}, confirmed before it writes its end: its slot renews the lock, and
         * the ledger, brought up to the events topic's current end, shows no newer attempt. The renewal alone is not
         * proof: Kafka also accepts it for a record another worker has acknowledged meanwhile.
         */
        private boolean leaseHolds(String executionId, int attempt) throws InterruptedException {
            if (!slot.confirm()) {
                return false;
            }
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(slot.lockMs);
            while (true) {
                try {
                    return ledger.current(executionId, LEDGER_WAIT).map(k -> k.attempt() <= attempt).orElse(true);
                } catch (ExecutionLedger.BehindException e) {
                    if (System.nanoTime() - deadline >= 0) {
                        LOG.log(System.Logger.Level.WARNING, "execution " + executionId + ": cannot tell whether "
                                + "attempt " + attempt + " is still the newest (" + e.getMessage() + "); it is "
                                + "given up for another worker to run");
                        return false;
                    }
                    Thread.sleep(RETRY_BACKOFF_MS); // a retry backoff, not synchronisation
                }
            }
        }

        /** What the events topic says of the execution, waiting (the slot keeps the lock) until it can tell. */
        private Optional<AttemptLedger.Known> known(String executionId) throws InterruptedException {
            while (true) {
                try {
                    return ledger.current(executionId, LEDGER_WAIT);
                } catch (ExecutionLedger.BehindException e) {
                    if (closing) {
                        throw new InterruptedException("closing");
                    }
                    LOG.log(System.Logger.Level.WARNING, "execution " + executionId + " waits for the worker's "
                            + "view of the events topic: " + e.getMessage());
                    Thread.sleep(RETRY_BACKOFF_MS); // a retry backoff, not synchronisation
                }
            }
        }

        /**
         * Runs attempt {@code attempt} of the execution, or (not {@code runIt}) ends it as failed because it was
         * attempted too often.
         */
        private Ack run(ExecutionRequest request, int attempt, boolean runIt) throws Exception {
            String id = request.executionId();
            ExecutionControl control = controls.register(id, attempt, () -> leaseHolds(id, attempt)).orElse(null);
            if (control == null) {
                LOG.log(System.Logger.Level.INFO, "execution " + id + " already runs here (attempt " + attempt
                        + " or newer): this delivery is acknowledged, the running one is the only run");
                return Ack.ACCEPT;
            }
            this.control = control;
            String lost = lostBecause;
            if (lost != null) {
                control.supersede("this worker lost the execution's request: " + lost);
            }
            if (closing) { // registered after the close abandoned the running ones
                control.abandon("the worker is shutting down");
            }
            try {
                control.bind(Thread.currentThread());
                AttemptSink sink = new AttemptSink(events, control);
                steps.runAs(control, () -> {
                    if (!runIt) {
                        endInWorker(request, control, sink, "the execution was run " + (attempt - 1)
                                + " time(s) and never ended: each time its worker was lost (it crashed, was stopped "
                                + "or was cut off from Kafka) before the end; it is not run again");
                        return;
                    }
                    if (request.workflow() != null && attempt > 1) {
                        ExecutionRequest.WorkflowLink link = request.workflow();
                        steps.announce(WorkflowStepResult.attemptStarted(link.workflowExecutionId(), link.step(),
                                id, attempt, Json.now()));
                    }
                    try {
                        runner.run(request, sink, control);
                    } catch (InterruptedException e) {
                        // abandoned (closing) or superseded: the next attempt writes the end
                    } catch (Exception | Error e) {
                        if (control.stopped()) {
                            return;
                        }
                        LOG.log(System.Logger.Level.ERROR, "execution " + id + " failed in the worker", e);
                        endInWorker(request, control, sink, "internal worker error: " + e.getClass().getSimpleName());
                    }
                });
            } finally {
                controls.unregister(control);
            }
            if (control.superseded()) {
                LOG.log(System.Logger.Level.WARNING, "superseded attempt " + attempt + " of execution " + id
                        + " has stopped (" + control.reason() + "); nothing more of it is written");
                return Ack.NONE;
            }
            return control.stop() == ExecutionControl.Stop.ABANDON ? Ack.RELEASE : Ack.ACCEPT;
        }

        /** Ends the execution as failed from the worker (the runner did not): its end and its workflow step. */
        private void endInWorker(ExecutionRequest request, ExecutionControl control, AttemptSink sink, String reason)
                throws Exception {
            Thread.interrupted(); // the end must be written even if the run was interrupted on its way out
            sink.emitDurably(new ExecutionEvent.ExecutionFailed(request.executionId(), reason, 0, Json.now()));
            ExecutionRequest.WorkflowLink link = request.workflow();
            if (link != null && !control.superseded()) {
                steps.report(new WorkflowStepResult(link.workflowExecutionId(), link.step(), request.executionId(),
                        ExecutionStatus.FAILED, "", reason, null, null, Json.now()));
            }
        }
    }
}
