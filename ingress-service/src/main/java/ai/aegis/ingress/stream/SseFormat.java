package ai.aegis.ingress.stream;

import ai.aegis.topology.readmodel.EventReadModel.StoredEvent;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The event streams' wire format, written once for both transports (the Helidon routes' {@link EventStream} and the
 * non-blocking {@link StreamListener}): the reference API's frames, its comments, its resume position.
 */
public final class SseFormat {

    public static final String CONTENT_TYPE = "text/event-stream; charset=utf-8";
    /** The first bytes of every stream: the client knows at once it is connected. */
    public static final byte[] CONNECTED = ": connected\n\n".getBytes(StandardCharsets.US_ASCII);
    public static final byte[] KEEP_ALIVE = ": keep-alive\n\n".getBytes(StandardCharsets.US_ASCII);

    private static final byte[] ID = "id: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DATA = "\ndata: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] END = "\n\n".getBytes(StandardCharsets.US_ASCII);

    private SseFormat() {
    }

    /**
     * Writes one frame: {@code id: <n>}, {@code data: <json>}, blank line, and no {@code event:} field so that an
     * EventSource's {@code onmessage} receives every event. The JSON the system writes has no raw newline; a value
     * from another producer that has one is sent as several {@code data:} lines, which a client joins back.
     */
    public static void frame(OutputStream body, StoredEvent e) throws IOException {
        body.write(ID);
        body.write(Long.toString(e.id()).getBytes(StandardCharsets.US_ASCII));
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
    public static Duration jittered(Duration heartbeat) {
        long full = heartbeat.toNanos();
        return Duration.ofNanos(full - ThreadLocalRandom.current().nextLong(full / 4 + 1));
    }

    /**
     * The position a client resumes after ({@code Last-Event-ID}, or {@code ?last_event_id=} for a client that
     * cannot set headers): -1 when absent or blank.
     *
     * @throws IllegalArgumentException when it is not a non-negative number
     */
    public static long lastEventId(String raw) {
        if (raw == null || raw.isBlank()) {
            return -1;
        }
        try {
            long v = Long.parseLong(raw.trim());
            if (v >= 0) {
                return v;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new IllegalArgumentException("Invalid Last-Event-ID");
    }
}
