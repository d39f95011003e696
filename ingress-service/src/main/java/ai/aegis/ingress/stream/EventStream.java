package ai.aegis.ingress.stream;

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

    private final EventReadModel<?, ?, ?> readModel;
    private final String topic;
    private final EventHistory history;
    private final String notFound;
    private final Duration heartbeat;
    private final AtomicInteger open = new AtomicInteger();
    private final LongAdder historyUnavailable;
    private final LongAdder readBack;

    /** @param route what it streams: the view, the topic older events are read back from, the 404 message */
    public EventStream(StreamRoute route, EventHistory history, Duration heartbeat, Metrics metrics) {
        this.readModel = route.view();
        this.topic = route.topic();
        this.history = history;
        this.notFound = route.notFoundMessage();
        this.heartbeat = heartbeat;
        StreamCounters counters = StreamCounters.of(metrics);
        this.historyUnavailable = counters.historyUnavailable();
        this.readBack = counters.readBack();
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
            res.header(HeaderNames.CONTENT_TYPE, SseFormat.CONTENT_TYPE);
            res.header(HeaderNames.CACHE_CONTROL, "no-cache");
            res.header(HeaderNames.create("X-Accel-Buffering"), "no");
            open.incrementAndGet();
            try (OutputStream body = res.outputStream()) {
                // The first bytes commit the response headers, so a client knows at once it is connected: one write
                // and one flush. Helidon still sends the headers and this chunk as two socket writes (as strace
                // shows), so the frame leaves at once only because every listener has TCP_NODELAY (Listeners);
                // with Nagle on, it waited ~40 ms for the client's delayed ACK (StreamFirstFrameTest).
                write(body, SseFormat.CONNECTED);
                boolean waited = false;
                while (true) {
                    if (!batch.isEmpty()) {
                        for (StoredEvent e : batch) {
                            SseFormat.frame(body, e);
                        }
                        body.flush();
                    } else if (waited && !sub.done()) {
                        write(body, SseFormat.KEEP_ALIVE);
                    }
                    if (sub.done()) {
                        return;
                    }
                    batch = sub.next(SseFormat.jittered(heartbeat));
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

    private static void write(OutputStream body, byte[] frame) throws IOException {
        body.write(frame);
        body.flush();
    }

    private static long lastEventId(ServerRequest req) {
        Optional<String> raw = req.headers().first(LAST_EVENT_ID)
                .or(() -> req.query().first("last_event_id").asOptional());
        try {
            return SseFormat.lastEventId(raw.orElse(null));
        } catch (IllegalArgumentException e) {
            throw new BadRequest(e.getMessage());
        }
    }
}
