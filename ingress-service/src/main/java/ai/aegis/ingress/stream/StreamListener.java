package ai.aegis.ingress.stream;

import ai.aegis.http.Api;
import ai.aegis.ingress.auth.AuthFilter;
import ai.aegis.ingress.auth.Authenticator;
import ai.aegis.schemas.auth.Caller;
import ai.aegis.ingress.health.Metrics;
import ai.aegis.schemas.Ids;
import ai.aegis.schemas.json.Json;
import ai.aegis.topology.health.ComponentHealth;
import ai.aegis.topology.health.HealthCheck;
import ai.aegis.topology.health.HealthState;
import ai.aegis.topology.readmodel.EventHistory;
import ai.aegis.topology.readmodel.EventReadModel;
import ai.aegis.topology.readmodel.EventReadModel.StoredEvent;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * The event streams on a listener of their own ({@code aegis.ingress.stream-port}), on non-blocking sockets: the
 * same routes, frames, authentication, resume and answers as the public listener's ({@link EventStream}), at a
 * fraction of the memory per idle stream. On the public listener a stream holds a Helidon connection (its fixed
 * 8 KiB read buffer among it) and a parked virtual thread for its whole life, about 21 KiB; here an idle stream is
 * its socket, its selection key, its subscription and this class's few fields.
 *
 * <p>One platform thread owns the selector: it accepts, reads request heads (into one shared buffer), notices
 * clients that leave, and runs the timers (a head that does not arrive in time, heartbeats, clients that stop
 * reading). Everything that may block (authentication, waiting for the views, subscribing, which may read the
 * archive, and reading events back from the topic) runs on a short-lived virtual thread, one at a time per
 * connection, started when there is something to do: the view calls {@link EventReadModel.Subscription#onArrival}
 * on each new event of that aggregate, so delivering an event costs O(its subscribers). A client that does not
 * read holds one encoded batch, never more; after two heartbeat intervals without taking it, it is closed and
 * resumes with {@code Last-Event-ID}, missing nothing.
 *
 * <p>Every answer carries {@code Connection: close}: a stream ends with its connection, and so does a refusal.
 * A stream's body is the events until the connection closes (no chunking), which every HTTP/1.1 client reads.
 */
public final class StreamListener implements HealthCheck, AutoCloseable {

    /** The largest request head read; a larger one is answered 431. */
    static final int MAX_HEAD_BYTES = 8 * 1024;
    /** How long a connection may take to send its request head. */
    static final Duration HEAD_TIMEOUT = Duration.ofSeconds(10);
    /** How long accepting pauses after it failed (no file descriptor left, say). */
    static final Duration ACCEPT_PAUSE = Duration.ofMillis(100);
    /** Batches one turn hands to a connection before it lets others go first. */
    private static final int BATCHES_PER_TURN = 8;

    private static final System.Logger LOG = System.getLogger(StreamListener.class.getName());
    private static final byte[] STREAM_HEAD = ("HTTP/1.1 200 OK\r\n"
            + "Content-Type: " + SseFormat.CONTENT_TYPE + "\r\n"
            + "Cache-Control: no-cache\r\n"
            + "X-Accel-Buffering: no\r\n"
            + "Connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    private static final String BEARER = "Bearer ";

    private enum State { HEAD, OPENING, STREAMING }

    private final ServerSocketChannel server;
    private final Selector selector;
    private final List<StreamRoute> routes;
    private final Authenticator token;
    private final Runnable awaitViews;
    private final EventHistory history;
    private final long heartbeatNanos;
    private final Duration heartbeat;
    private final int maxConnections;
    private final ExecutorService work = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("aegis-stream-", 0).factory());
    /** The selector thread's own: head reads, and what a stream's client sends after its head (discarded). */
    private final ByteBuffer scratch = ByteBuffer.allocate(MAX_HEAD_BYTES);
    /** Every connection's next deadline, earliest first; the selector thread's own. One entry per connection. */
    private final PriorityQueue<Connection> timers = new PriorityQueue<>(Comparator.comparingLong(c -> c.dueAt));
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger streams = new AtomicInteger();
    private final LongAdder refused;
    private final LongAdder stalled;
    private final LongAdder historyUnavailable;
    private final LongAdder readBack;
    private final LongAdder acceptFailures;
    private final SelectionKey serverKey;
    /** The selector thread's: when accepting resumes after a failure (0: it is not paused), the last warning. */
    private long acceptPausedUntil;
    private long lastAcceptWarning = System.nanoTime() - TimeUnit.MINUTES.toNanos(1);
    private final Thread loop;
    private volatile boolean running = true;
    private volatile Throwable failure;

    private StreamListener(ServerSocketChannel server, SelectionKey serverKey, Selector selector,
                           List<StreamRoute> routes,
                           Authenticator token, Runnable awaitViews, EventHistory history, Duration heartbeat,
                           int maxConnections, Metrics metrics) {
        this.server = server;
        this.serverKey = serverKey;
        this.selector = selector;
        this.routes = List.copyOf(routes);
        this.token = token;
        this.awaitViews = awaitViews;
        this.history = history;
        this.heartbeat = heartbeat;
        this.heartbeatNanos = heartbeat.toNanos();
        this.maxConnections = maxConnections;
        metrics.gauge("aegis_stream_listener_streams_open", "Event streams open on the stream listener.",
                streams::get);
        metrics.gauge("aegis_stream_listener_connections", "Connections the stream listener holds (streams, and "
                + "requests not answered yet).", connections::get);
        this.refused = metrics.counter("aegis_stream_listener_refused_total", "Connections the stream listener "
                + "refused with 503 because it held aegis.ingress.max-connections already.");
        this.stalled = metrics.counter("aegis_sse_streams_stalled_total", "Streams closed because their client "
                + "took nothing for two heartbeat intervals (it resumes with Last-Event-ID).");
        this.acceptFailures = metrics.counter("aegis_stream_listener_accept_failures_total", "Times the stream "
                + "listener could not accept a connection (out of file descriptors, say) and paused accepting.");
        StreamCounters counters = StreamCounters.of(metrics);
        this.historyUnavailable = counters.historyUnavailable();
        this.readBack = counters.readBack();
        this.loop = Thread.ofPlatform().name("aegis-stream-listener").daemon().unstarted(this::run);
    }

    /**
     * Binds {@code host:port} (0: a free port) and serves.
     *
     * @param token      who may read the streams (the local API token, OIDC tokens); null when authentication is off
     * @param awaitViews waits (bounded) until the views have read the topics, before a stream subscribes
     * @param history    where events no longer in memory are read back from
     */
    public static StreamListener start(String host, int port, int maxConnections, Duration heartbeat,
                                       List<StreamRoute> routes, Authenticator token, Runnable awaitViews,
                                       EventHistory history, Metrics metrics) {
        ServerSocketChannel server = null;
        Selector selector = null;
        try {
            server = ServerSocketChannel.open();
            server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            server.bind(new InetSocketAddress(host, port), 1024);
            server.configureBlocking(false);
            selector = Selector.open();
            SelectionKey serverKey = server.register(selector, SelectionKey.OP_ACCEPT);
            StreamListener listener = new StreamListener(server, serverKey, selector, routes, token, awaitViews, history,
                    heartbeat, maxConnections, metrics);
            listener.loop.start();
            LOG.log(System.Logger.Level.INFO, "stream listener on " + server.getLocalAddress());
            return listener;
        } catch (IOException e) {
            closeQuietly(selector);
            closeQuietly(server);
            throw new UncheckedIOException("cannot listen for event streams on " + host + ":" + port, e);
        }
    }

    public int port() {
        try {
            return ((InetSocketAddress) server.getLocalAddress()).getPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public int openStreams() {
        return streams.get();
    }

    @Override
    public ComponentHealth health() {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("streams", streams.get());
        details.put("connections", connections.get());
        details.put("max_connections", maxConnections);
        boolean up = loop.isAlive() && failure == null;
        if (!up) {
            details.put("error", failure == null ? "stopped" : failure.toString());
        }
        return new ComponentHealth(up ? HealthState.UP : HealthState.DOWN, details);
    }

    /** Stops accepting, closes every connection (clients resume with {@code Last-Event-ID}) and the socket. */
    @Override
    public void close() {
        running = false;
        selector.wakeup();
        try {
            loop.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        work.shutdown();
        try {
            if (!work.awaitTermination(2, TimeUnit.SECONDS)) {
                work.shutdownNow();
            }
        } catch (InterruptedException e) {
            work.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    // ---- the selector thread ----

    private void run() {
        try {
            while (running) {
                try {
                    long wait = runTimers(System.nanoTime());
                    selector.select(wait);
                    for (SelectionKey key : selector.selectedKeys()) {
                        ready(key);
                    }
                    selector.selectedKeys().clear();
                } catch (IOException | RuntimeException e) {
                    // one bad turn (a socket that failed in an odd way) must not end the listener
                    LOG.log(System.Logger.Level.WARNING, "stream listener turn failed", e);
                }
            }
        } catch (Error e) {
            failure = e;
            LOG.log(System.Logger.Level.ERROR, "the stream listener stopped", e);
            throw e;
        } finally {
            for (SelectionKey key : selector.keys()) {
                if (key.attachment() instanceof Connection c) {
                    c.close();
                }
            }
            closeQuietly(selector);
            closeQuietly(server);
        }
    }

    private void ready(SelectionKey key) throws IOException {
        if (!key.isValid()) {
            return;
        }
        if (key.isAcceptable()) {
            accept();
            return;
        }
        Connection c = (Connection) key.attachment();
        try {
            if (key.isReadable()) {
                c.readable();
            }
            if (key.isValid() && key.isWritable()) {
                key.interestOps(SelectionKey.OP_READ);
                c.schedule();
            }
        } catch (IOException | CancelledKeyException e) {
            c.close();
        }
    }

    private void accept() throws IOException {
        SocketChannel ch;
        while ((ch = acceptOne()) != null) {
            if (connections.get() >= maxConnections) {
                refused.increment();
                refuse(ch);
                continue;
            }
            ch.configureBlocking(false);
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            Connection c = new Connection(ch);
            connections.incrementAndGet();
            c.key = ch.register(selector, SelectionKey.OP_READ, c);
            c.dueAt = Math.min(c.acceptedAt + HEAD_TIMEOUT.toNanos(), c.acceptedAt + nextBeat());
            timers.add(c);
        }
    }

    /**
     * The next connection, or null when none waits or accepting failed. A failure (the process is out of file
     * descriptors, most often) leaves the connection in the backlog and the socket still ready: accepting pauses
     * for {@link #ACCEPT_PAUSE} instead of spinning on it, and the streams already open go on.
     */
    private SocketChannel acceptOne() {
        try {
            return server.accept();
        } catch (IOException e) {
            acceptFailures.increment();
            long now = System.nanoTime();
            if (now - lastAcceptWarning > TimeUnit.SECONDS.toNanos(10)) {
                lastAcceptWarning = now;
                LOG.log(System.Logger.Level.WARNING, "the stream listener cannot accept connections (" + e
                        + "); it pauses accepting for " + ACCEPT_PAUSE.toMillis() + " ms at a time until it can "
                        + "(raise ulimit -n, or lower aegis.ingress.max-connections)");
            }
            serverKey.interestOps(0);
            acceptPausedUntil = now + ACCEPT_PAUSE.toNanos();
            return null;
        }
    }

    /** Over the connection limit: one attempt to say so, then the connection is closed. */
    private static void refuse(SocketChannel ch) {
        try (ch) {
            ch.configureBlocking(false);
            ch.write(ByteBuffer.wrap(answer(503, List.of("Retry-After: " + Api.RETRY_AFTER_OVERLOAD_SECONDS),
                    "Too many connections")));
        } catch (IOException e) {
            // it is refused either way
        }
    }

    /**
     * Runs the timers that are due: a head that did not arrive (408), a stream without a write for most of a
     * heartbeat interval (a heartbeat), a client that took nothing for two intervals (closed).
     *
     * @return milliseconds until the next timer, at most one second
     */
    private long runTimers(long now) {
        if (acceptPausedUntil != 0 && now >= acceptPausedUntil) {
            acceptPausedUntil = 0;
            serverKey.interestOps(SelectionKey.OP_ACCEPT);
        }
        Connection c;
        while ((c = timers.peek()) != null && c.dueAt <= now) {
            timers.poll();
            if (c.closed.get()) {
                continue;
            }
            long since = c.pendingSince;
            if (since != 0 && now - since > 2 * heartbeatNanos) {
                stalled.increment(); // a stream, or an answer, its client does not take
                c.close();
                continue;
            }
            switch (c.state) {
                case HEAD -> {
                    long headDue = c.acceptedAt + HEAD_TIMEOUT.toNanos();
                    if (now >= headDue) {
                        c.closeAfter(answer(408, List.of(), "Request head not received in time"));
                        headDue = now + TimeUnit.SECONDS.toNanos(1);
                    }
                    c.dueAt = Math.min(headDue, now + nextBeat());
                }
                case OPENING -> c.dueAt = now + Math.min(TimeUnit.SECONDS.toNanos(1), nextBeat());
                case STREAMING -> {
                    if (now - c.lastWrite >= heartbeatNanos * 3 / 4) {
                        c.heartbeatDue = true;
                        c.schedule();
                    }
                    c.dueAt = now + nextBeat();
                }
            }
            timers.add(c);
        }
        long next = c == null ? now + TimeUnit.SECONDS.toNanos(1) : Math.min(c.dueAt, now + TimeUnit.SECONDS.toNanos(1));
        if (acceptPausedUntil != 0) {
            next = Math.min(next, acceptPausedUntil);
        }
        return Math.max(1, TimeUnit.NANOSECONDS.toMillis(next - now) + 1);
    }

    /** Nanoseconds until a connection's next heartbeat check, jittered so that streams drift apart. */
    private long nextBeat() {
        return SseFormat.jittered(heartbeat).toNanos();
    }

    // ---- answers ----

    /** A whole answer with a JSON {@code {"error": message}} body and {@code Connection: close}. */
    static byte[] answer(int status, List<String> headers, String message) {
        byte[] body = message == null ? new byte[0] : Json.writeBytes(Map.of("error", message));
        StringBuilder head = new StringBuilder(160).append("HTTP/1.1 ").append(status).append(' ')
                .append(reason(status)).append("\r\n");
        if (body.length > 0) {
            head.append("Content-Type: application/json\r\n");
        }
        if (status != 204) {
            head.append("Content-Length: ").append(body.length).append("\r\n");
        }
        for (String h : headers) {
            head.append(h).append("\r\n");
        }
        head.append("Connection: close\r\n\r\n");
        byte[] h = head.toString().getBytes(StandardCharsets.US_ASCII);
        byte[] all = new byte[h.length + body.length];
        System.arraycopy(h, 0, all, 0, h.length);
        System.arraycopy(body, 0, all, h.length, body.length);
        return all;
    }

    private static String reason(int status) {
        return switch (status) {
            case 200 -> "OK";
            case 204 -> "No Content";
            case 400 -> "Bad Request";
            case 401 -> "Unauthorized";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 408 -> "Request Timeout";
            case 431 -> "Request Header Fields Too Large";
            case 503 -> "Service Unavailable";
            case 505 -> "HTTP Version Not Supported";
            default -> "Error";
        };
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c != null) {
            try {
                c.close();
            } catch (Exception e) {
                // closing anyway
            }
        }
    }

    /**
     * One client. The selector thread reads it and runs its timer; its turns ({@link #turn}) run one at a time on a
     * virtual thread and alone touch the subscription and the pending bytes.
     */
    private final class Connection {
        final SocketChannel ch;
        SelectionKey key;
        volatile State state = State.HEAD;
        /** The request head as it arrives (selector thread), then parsed by the first turn and dropped. */
        byte[] head;
        int headLength;
        /** The selector thread's: when this connection's timer fires next. */
        long dueAt;
        final long acceptedAt = System.nanoTime();
        /** Turns asked for and not run yet: a turn is started when it goes from 0, and runs until it is 0 again. */
        final AtomicInteger signals = new AtomicInteger();
        final AtomicBoolean closed = new AtomicBoolean();
        EventReadModel<?, ?, ?>.Subscription sub;
        /** What the client has not taken yet: one answer or one batch, never more. */
        ByteBuffer pending;
        volatile long pendingSince;
        volatile long lastWrite = System.nanoTime();
        volatile boolean heartbeatDue;
        /** Close once {@link #pending} is written: the answer was a refusal, or the stream's end. */
        boolean closeWhenWritten;

        Connection(SocketChannel ch) {
            this.ch = ch;
        }

        /** On the selector thread: the head's bytes as they come; later, whatever the client sends (discarded). */
        void readable() throws IOException {
            scratch.clear();
            int n = ch.read(scratch);
            if (n < 0) {
                close(); // the client left
                return;
            }
            if (state != State.HEAD || n == 0) {
                return;
            }
            if (headLength + n > MAX_HEAD_BYTES) {
                closeAfter(answer(431, List.of(), "Request head larger than " + MAX_HEAD_BYTES + " bytes"));
                return;
            }
            if (head == null || head.length < headLength + n) {
                byte[] grown = new byte[Math.min(MAX_HEAD_BYTES, Math.max(headLength + n, 2 * headLength))];
                if (head != null) {
                    System.arraycopy(head, 0, grown, 0, headLength);
                }
                head = grown;
            }
            System.arraycopy(scratch.array(), 0, head, headLength, n);
            headLength += n;
            if (RequestHead.end(head, headLength) > 0) {
                state = State.OPENING;
                schedule();
            }
        }

        /** From any thread: asks for a turn; starts one unless one is running, which then runs again. */
        void schedule() {
            if (signals.getAndIncrement() == 0) {
                try {
                    work.execute(this::turns);
                } catch (RejectedExecutionException stopping) {
                    closeChannel();
                }
            }
        }

        private void turns() {
            int seen = signals.get();
            do {
                try {
                    turn();
                } catch (IOException | UncheckedIOException | EventHistory.Unavailable e) {
                    if (e instanceof EventHistory.Unavailable) {
                        historyUnavailable.increment();
                        LOG.log(System.Logger.Level.WARNING, "stream closed: " + e.getMessage()
                                + "; the client resumes with Last-Event-ID");
                    }
                    close();
                } catch (InterruptedException e) {
                    close();
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.WARNING, "stream turn failed", e);
                    close();
                }
                if (closed.get()) {
                    release();
                }
            } while ((seen = signals.addAndGet(-seen)) != 0);
        }

        private void turn() throws IOException, EventHistory.Unavailable, InterruptedException {
            if (closed.get()) {
                return;
            }
            byte[] answer = pendingAnswer;
            if (answer != null) {
                pendingAnswer = null;
                closeAfter(answer);
                return;
            }
            if (pending != null) {
                if (!drain()) {
                    return;
                }
                if (closeWhenWritten) {
                    close();
                    return;
                }
            }
            if (state == State.OPENING && sub == null) {
                open();
            }
            if (state == State.STREAMING && !closed.get()) {
                stream();
            }
        }

        /** The first turn: the head parsed and checked, the subscription taken, the answer's first bytes sent. */
        private void open() throws IOException, EventHistory.Unavailable, InterruptedException {
            byte[] raw = head;
            head = null;
            if (raw == null) {
                return; // refused already (431): that answer is being written
            }
            RequestHead req;
            try {
                req = RequestHead.parse(raw, RequestHead.end(raw, headLength));
            } catch (RequestHead.Refused r) {
                closeAfter(answer(r.status, List.of(), r.getMessage()));
                return;
            }
            StreamRoute route = null;
            String id = null;
            for (StreamRoute r : routes) {
                id = r.idIn(req.path());
                if (id != null) {
                    route = r;
                    break;
                }
            }
            if (route == null) {
                closeAfter(answer(404, List.of(), "Not found: " + req.method() + " " + req.path()));
                return;
            }
            if (!req.method().equals("GET")) {
                closeAfter(answer(405, List.of("Allow: GET"), "Method not allowed"));
                return;
            }
            if (token != null) {
                // any Aegis role reads, so a caller the authenticator knows may read a stream
                Authenticator.Result who = token.authenticate(bearer(req));
                if (who instanceof Authenticator.Refused r) {
                    closeAfter(answer(401, List.of("WWW-Authenticate: " + AuthFilter.challenge(r)), r.description()));
                    return;
                }
                if (who instanceof Authenticator.Authenticated a && !a.caller().mayRead()) {
                    closeAfter(answer(403, List.of(), "This stream needs the role " + Caller.VIEWER));
                    return;
                }
            }
            if (!Ids.isUuid(id)) {
                closeAfter(answer(400, List.of(), route.invalidIdMessage()));
                return;
            }
            long after;
            try {
                String last = req.header("last-event-id");
                after = SseFormat.lastEventId(last != null ? last : req.query().get("last_event_id"));
            } catch (IllegalArgumentException e) {
                closeAfter(answer(400, List.of(), e.getMessage()));
                return;
            }
            awaitViews.run();
            var maybe = route.view().subscribe(id.toLowerCase(), after, history, route.topic());
            if (maybe.isEmpty()) {
                closeAfter(answer(404, List.of(), route.notFoundMessage()));
                return;
            }
            sub = maybe.get();
            if (after >= 0 && sub.atEnd()) {
                // the client already has the terminal event: 204 tells an EventSource not to reconnect
                closeAfter(answer(204, List.of(), null));
                return;
            }
            sub.onArrival(this::schedule); // before the first read: nothing arrives unseen
            List<StoredEvent> first;
            try {
                first = sub.next(Duration.ZERO);
            } catch (EventHistory.Unavailable e) {
                historyUnavailable.increment();
                LOG.log(System.Logger.Level.WARNING, "stream of " + id + " refused: " + e.getMessage());
                closeAfter(answer(503, List.of("Retry-After: " + Api.RETRY_AFTER_SECONDS), "unavailable"));
                return;
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream(STREAM_HEAD.length + 64);
            out.write(STREAM_HEAD);
            out.write(SseFormat.CONNECTED);
            for (StoredEvent e : first) {
                SseFormat.frame(out, e);
            }
            state = State.STREAMING;
            streams.incrementAndGet();
            send(out.toByteArray());
        }

        /** Hands the client what arrived, a few batches per turn; closes after the terminal event. */
        private void stream() throws IOException, EventHistory.Unavailable, InterruptedException {
            if (pending != null) {
                return;
            }
            for (int i = 0; i < BATCHES_PER_TURN; i++) {
                if (sub.done()) {
                    close();
                    return;
                }
                List<StoredEvent> batch = sub.next(Duration.ZERO);
                if (batch.isEmpty()) {
                    if (sub.done()) {
                        close();
                    } else if (heartbeatDue) {
                        heartbeatDue = false;
                        send(SseFormat.KEEP_ALIVE);
                    }
                    return;
                }
                heartbeatDue = false;
                ByteArrayOutputStream out = new ByteArrayOutputStream(256);
                for (StoredEvent e : batch) {
                    SseFormat.frame(out, e);
                }
                if (!send(out.toByteArray())) {
                    return; // the client takes it first
                }
            }
            schedule(); // more may be waiting: after the others' turns
        }

        private String bearer(RequestHead req) {
            String h = req.header("authorization");
            if (h != null && h.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
                return h.substring(BEARER.length()).trim();
            }
            return req.query().get("access_token");
        }

        /** Writes what the socket takes now; the rest waits for it to be writable. @return whether all went */
        private boolean send(byte[] bytes) throws IOException {
            pending = ByteBuffer.wrap(bytes);
            pendingSince = System.nanoTime();
            return drain();
        }

        private boolean drain() throws IOException {
            ch.write(pending);
            if (pending.hasRemaining()) {
                key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
                selector.wakeup();
                return false;
            }
            pending = null;
            pendingSince = 0;
            lastWrite = System.nanoTime();
            return true;
        }

        /** Answers {@code bytes} and closes once they are written (or the client stops taking them). */
        void closeAfter(byte[] bytes) {
            if (Thread.currentThread() == loop) {
                // the selector thread never writes more than the socket takes at once: the rest is a turn's
                key.interestOps(0);
                state = State.OPENING;
                head = null;
                pendingAnswer = bytes;
                schedule();
                return;
            }
            closeWhenWritten = true;
            try {
                if (send(bytes)) {
                    close();
                }
            } catch (IOException e) {
                close();
            }
        }

        /** An answer the selector thread decided on, written by the next turn. */
        private volatile byte[] pendingAnswer;

        /** From any thread: the connection is closed at once, and a turn releases its subscription. */
        void close() {
            if (closed.compareAndSet(false, true)) {
                closeChannel();
                connections.decrementAndGet();
                schedule();
            }
        }

        private void closeChannel() {
            try {
                ch.close();
            } catch (IOException e) {
                // closed either way
            }
        }

        /** On a turn, once closed: the subscription given back, the stream no longer counted. */
        private void release() {
            if (sub != null) {
                readBack.add(sub.readBack());
                sub.close();
                sub = null;
                if (state == State.STREAMING) {
                    streams.decrementAndGet();
                }
            }
            pending = null;
        }
    }
}
