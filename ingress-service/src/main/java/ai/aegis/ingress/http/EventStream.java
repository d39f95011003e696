package ai.aegis.ingress.http;

import ai.aegis.http.Api;
import ai.aegis.http.BadRequest;
import ai.aegis.topology.readmodel.EventReadModel.StoredEvent;
import ai.aegis.topology.readmodel.EventReadModel;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Serves one aggregate's events (an execution's, a workflow execution's) as Server-Sent Events in the reference
 * API's format: {@code id:} + {@code data:} frames and no {@code event:} field, history first then live events,
 * resumable with {@code Last-Event-ID}, comment heartbeats, closed after the terminal event. Runs on the request's
 * virtual thread; the shared tail only offers events to the subscriber's bounded queue and is never blocked by a
 * slow client.
 */
public final class EventStream {

    private static final System.Logger LOG = System.getLogger(EventStream.class.getName());
    private static final io.helidon.http.HeaderName LAST_EVENT_ID = HeaderNames.create("Last-Event-ID");

    private final EventReadModel<?, ?, ?> readModel;
    private final String notFound;
    private final Duration heartbeat;
    private final int queueCapacity;
    private final AtomicInteger open = new AtomicInteger();

    /** @param notFound the error message for an unknown id, e.g. "Execution not found" */
    public EventStream(EventReadModel<?, ?, ?> readModel, String notFound, Duration heartbeat, int queueCapacity) {
        this.readModel = readModel;
        this.notFound = notFound;
        this.heartbeat = heartbeat;
        this.queueCapacity = queueCapacity;
    }

    public int openStreams() {
        return open.get();
    }

    public void serve(String id, ServerRequest req, ServerResponse res) {
        serve(readModel, id, req, res);
    }

    private <E> void serve(EventReadModel<E, ?, ?> model, String id, ServerRequest req, ServerResponse res) {
        long after = lastEventId(req);
        Optional<EventReadModel.Subscription<E>> maybe = model.subscribe(id, after, queueCapacity);
        if (maybe.isEmpty()) {
            Api.error(res, 404, notFound);
            return;
        }
        try (EventReadModel.Subscription<E> sub = maybe.get()) {
            if (after >= 0 && sub.ended() && sub.history().isEmpty()) {
                // The client already has the terminal event: 204 tells an EventSource not to reconnect.
                res.status(Status.NO_CONTENT_204).send();
                return;
            }
            res.header(HeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8");
            res.header(HeaderNames.CACHE_CONTROL, "no-cache");
            res.header(HeaderNames.create("X-Accel-Buffering"), "no");
            open.incrementAndGet();
            try (OutputStream body = res.outputStream()) {
                // The first bytes commit the response headers, so a client knows at once it is connected.
                write(body, ": connected\n\n");
                for (StoredEvent<E> e : sub.history()) {
                    if (emit(body, e)) {
                        return;
                    }
                }
                if (sub.ended()) {
                    return;
                }
                while (true) {
                    StoredEvent<E> e = sub.poll(heartbeat);
                    if (e != null) {
                        if (emit(body, e)) {
                            return;
                        }
                    } else if (sub.overflowed()) {
                        LOG.log(System.Logger.Level.WARNING, "stream of " + id
                                + " fell behind and was closed; the client resumes with Last-Event-ID");
                        return;
                    } else {
                        write(body, ": keep-alive\n\n");
                    }
                }
            } catch (IOException | UncheckedIOException disconnected) {
                // the client went away
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                open.decrementAndGet();
            }
        }
    }

    /**
     * Writes one frame: {@code id: <n>}, {@code data: <json>}, blank line, and no {@code event:} field so that an
     * EventSource's {@code onmessage} receives every event. Event JSON never contains a raw newline.
     *
     * @return true when this was the terminal event and the stream must close
     */
    private static boolean emit(OutputStream body, StoredEvent<?> e) throws IOException {
        write(body, "id: " + e.id() + "\ndata: " + e.json() + "\n\n");
        return e.terminal();
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
