package ai.aegis.ingress.http;

import ai.aegis.http.Api;
import ai.aegis.http.BadRequest;
import ai.aegis.ingress.health.Metrics;
import ai.aegis.topology.readmodel.EventHistory;
import ai.aegis.topology.readmodel.EventReadModel;
import ai.aegis.topology.readmodel.EventReadModel.StoredEvent;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Serves one aggregate's events (an execution's, a workflow execution's) as Server-Sent Events in the reference
 * API's format: {@code id:} + {@code data:} frames and no {@code event:} field, history first then live events,
 * resumable with {@code Last-Event-ID}, comment heartbeats, closed after the terminal event. Runs on the request's
 * virtual thread as a cursor over the view ({@link EventReadModel.Subscription}): events still in memory come from
 * there, older ones are read back from the topic through the node's shared {@link EventHistory}, one page at a time.
 * The tail is never blocked by a slow client, and a slow client holds one batch, never a queue.
 *
 * <p>When old events cannot be read back (every catch-up reader busy, Kafka away): before the stream started, the
 * answer is {@code 503} with {@code Retry-After}; once it has started, the stream is closed and the client resumes
 * with {@code Last-Event-ID}, missing nothing.
 */
public final class EventStream {

    private static final System.Logger LOG = System.getLogger(EventStream.class.getName());
    private static final io.helidon.http.HeaderName LAST_EVENT_ID = HeaderNames.create("Last-Event-ID");
    private static final byte[] DATA = "\ndata: ".getBytes(StandardCharsets.UTF_8);
    private static final byte[] END = "\n\n".getBytes(StandardCharsets.UTF_8);

    private final EventReadModel<?, ?, ?> readModel;
    private final String topic;
    private final EventHistory history;
    private final String notFound;
    private final Duration heartbeat;
    private final AtomicInteger open = new AtomicInteger();
    private final LongAdder historyUnavailable;
    private final LongAdder readBack;

    /**
     * @param topic    the topic {@code readModel} folds its events from, where older events are read back
     * @param notFound the error message for an unknown id, e.g. "Execution not found"
     */
    public EventStream(EventReadModel<?, ?, ?> readModel, String topic, EventHistory history, String notFound,
                       Duration heartbeat, Metrics metrics) {
        this.readModel = readModel;
        this.topic = topic;
        this.history = history;
        this.notFound = notFound;
        this.heartbeat = heartbeat;
        this.historyUnavailable = metrics.counter("aegis_sse_history_unavailable_total", "Streams refused (503) or "
                + "closed because events no longer in memory could not be read back from the topic in time.");
        this.readBack = metrics.counter("aegis_sse_events_read_back_total", "Events sent to streams that were read "
                + "back from the topic because this node no longer held them in memory.");
    }

    public int openStreams() {
        return open.get();
    }

    public void serve(String id, ServerRequest req, ServerResponse res) {
        long after = lastEventId(req);
        var maybe = readModel.subscribe(id, after, history, topic);
        if (maybe.isEmpty()) {
            Api.error(res, 404, notFound);
            return;
        }
        try (EventReadModel<?, ?, ?>.Subscription sub = maybe.get()) {
            if (after >= 0 && sub.atEnd()) {
                // The client already has the terminal event: 204 tells an EventSource not to reconnect.
                res.status(Status.NO_CONTENT_204).send();
                return;
            }
            List<StoredEvent> batch;
            try {
                batch = sub.next(Duration.ZERO);
            } catch (EventHistory.Unavailable e) {
                historyUnavailable.increment();
                LOG.log(System.Logger.Level.WARNING, "stream of " + id + " refused: " + e.getMessage());
                Api.unavailable(res);
                return;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                Api.unavailable(res);
                return;
            }
            res.header(HeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8");
            res.header(HeaderNames.CACHE_CONTROL, "no-cache");
            res.header(HeaderNames.create("X-Accel-Buffering"), "no");
            open.incrementAndGet();
            try (OutputStream body = res.outputStream()) {
                // The first bytes commit the response headers, so a client knows at once it is connected: one write
                // and one flush. Helidon still sends the headers and this chunk as two socket writes (as strace
                // shows), so the frame leaves at once only because every listener has TCP_NODELAY (Listeners);
                // with Nagle on, it waited ~40 ms for the client's delayed ACK (StreamFirstFrameTest).
                write(body, ": connected\n\n");
                boolean waited = false;
                while (true) {
                    if (!batch.isEmpty()) {
                        for (StoredEvent e : batch) {
                            frame(body, e);
                        }
                        body.flush();
                    } else if (waited && !sub.done()) {
                        write(body, ": keep-alive\n\n");
                    }
                    if (sub.done()) {
                        return;
                    }
                    batch = sub.next(jittered(heartbeat));
                    waited = true;
                }
            } catch (EventHistory.Unavailable e) {
                historyUnavailable.increment();
                LOG.log(System.Logger.Level.WARNING, "stream of " + id + " closed: " + e.getMessage()
                        + "; the client resumes with Last-Event-ID");
            } catch (IOException | UncheckedIOException disconnected) {
                // the client went away
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                open.decrementAndGet();
                readBack.add(sub.readBack());
            }
        }
    }

    /**
     * Writes one frame: {@code id: <n>}, {@code data: <json>}, blank line, and no {@code event:} field so that an
     * EventSource's {@code onmessage} receives every event. The JSON the system writes has no raw newline; a value
     * from another producer that has one is sent as several {@code data:} lines, which a client joins back.
     */
    private static void frame(OutputStream body, StoredEvent e) throws IOException {
        body.write(("id: " + e.id()).getBytes(StandardCharsets.UTF_8));
        byte[] value = e.value();
        int start = 0;
        for (int i = 0; i <= value.length; i++) {
            if (i == value.length || value[i] == '\n') {
                int end = i > start && value[i - 1] == '\r' ? i - 1 : i;
                body.write(DATA);
                body.write(value, start, end - start);
                start = i + 1;
            }
        }
        body.write(END);
    }

    /**
     * A heartbeat interval between 3/4 and all of {@code heartbeat}, drawn for each wait: streams opened together
     * (a reconnect storm, a console opening many) drift apart instead of all waking at the same instant.
     */
    static Duration jittered(Duration heartbeat) {
        long full = heartbeat.toNanos();
        return Duration.ofNanos(full - java.util.concurrent.ThreadLocalRandom.current().nextLong(full / 4 + 1));
    }

    private static void write(OutputStream body, String frame) throws IOException {
        body.write(frame.getBytes(StandardCharsets.UTF_8));
        body.flush();
    }

    private static long lastEventId(ServerRequest req) {
        Optional<String> raw = req.headers().first(LAST_EVENT_ID)
                .or(() -> req.query().first("last_event_id").asOptional());
        if (raw.isEmpty() || raw.get().isBlank()) {
            return -1;
        }
        try {
            long v = Long.parseLong(raw.get().trim());
            if (v < 0) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new BadRequest("Invalid Last-Event-ID");
        }
    }
}
