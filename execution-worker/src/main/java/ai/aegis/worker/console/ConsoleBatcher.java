package ai.aegis.worker.console;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The rules that turn one iteration's console lines into records, as pure logic: time is given, nothing is written
 * here ({@link ConsoleOutput} is the adapter that does). Per stream, lines gather in a ring of the newest
 * {@code tail-bytes}; a record is due when it is full ({@code chunk-bytes}) or its oldest line is {@code linger} old.
 * A due record is written only while the stream's budget ({@code max-bytes-per-iteration} minus the tail) lasts and
 * the execution's rate limit has tokens for it; otherwise its lines stay in the ring, where newer lines push the
 * oldest out. So what is lost is always the middle: every record says how many bytes were dropped just before it,
 * and at the end the ring, the stream's tail, is written whatever the budget and the rate.
 *
 * <p>Memory: two rings of {@code tail-bytes}, however much the sandbox prints. Not thread-safe (the adapter locks).
 */
final class ConsoleBatcher {

    /** One record to write: lines of {@code stream} joined by newlines; {@code omittedBytes} dropped just before. */
    record Chunk(String stream, String text, long omittedBytes) {
        boolean truncated() {
            return omittedBytes > 0;
        }
    }

    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    private final ConsoleConfig config;
    private final long lingerNanos;
    private final Stream stdout;
    private final Stream stderr;
    /** The token bucket of the rate limit, in bytes; one second's worth when full. */
    private double tokens;
    private long refilledAt;

    private final class Stream {
        final String name;
        final ByteRing ring = new ByteRing(config.tailBytes());
        /** Bytes of this stream that may still be written before its end; the tail is written in any case. */
        long budget = config.maxBytesPerIteration() - config.tailBytes();
        boolean budgetSpent;
        /** Bytes dropped since the last record of this stream. */
        long omitted;
        /** When the oldest line not yet written arrived; meaningful only while the ring holds something. */
        long pendingSince;

        Stream(String name) {
            this.name = name;
        }
    }

    ConsoleBatcher(ConsoleConfig config, long nowNanos) {
        this.config = config;
        this.lingerNanos = config.linger().toNanos();
        this.stdout = new Stream("stdout");
        this.stderr = new Stream("stderr");
        this.tokens = config.bytesPerSecond();
        this.refilledAt = nowNanos;
    }

    /** A console line (without its newline) of {@code stdout} or {@code stderr}; returns the records now due. */
    List<Chunk> line(String streamName, String line, long now) {
        byte[] bytes = (line + "\n").getBytes(StandardCharsets.UTF_8);
        return bytes(streamName, bytes, bytes.length, now);
    }

    /**
     * Console bytes as read, newlines included (the first {@code length} of {@code bytes}); returns the records now
     * due.
     */
    List<Chunk> bytes(String streamName, byte[] bytes, int length, long now) {
        Stream s = "stderr".equals(streamName) ? stderr : stdout;
        if (length <= 0) {
            return List.of();
        }
        if (s.ring.isEmpty()) {
            s.pendingSince = now;
        }
        s.omitted += s.ring.append(bytes, length);
        if (s.ring.size() < config.chunkBytes() || s.budgetSpent) {
            return List.of();
        }
        List<Chunk> out = new ArrayList<>(2);
        drain(s, now, false, out);
        return out;
    }

    /** The records due by {@code now} (lines that lingered long enough, tokens that came back). */
    List<Chunk> due(long now) {
        List<Chunk> out = new ArrayList<>(2);
        drain(stdout, now, false, out);
        drain(stderr, now, false, out);
        return out;
    }

    /** When {@link #due} may next have something to write; {@link Long#MAX_VALUE} when only the end will. */
    long nextDue() {
        return Math.min(nextDue(stdout), nextDue(stderr));
    }

    /** The streams ended: everything still held, written whatever the budget and the rate. */
    List<Chunk> finish() {
        List<Chunk> out = new ArrayList<>();
        drain(stdout, 0, true, out);
        drain(stderr, 0, true, out);
        return out;
    }

    private long nextDue(Stream s) {
        if (s.ring.isEmpty() || s.budgetSpent) {
            return Long.MAX_VALUE;
        }
        long byLinger = s.ring.size() >= config.chunkBytes() ? refilledAt : s.pendingSince + lingerNanos;
        double missing = Math.min(s.ring.size(), config.chunkBytes()) - tokens;
        long byTokens = missing <= 0 ? refilledAt
                : refilledAt + (long) Math.ceil(missing * NANOS_PER_SECOND / config.bytesPerSecond());
        return Math.max(byLinger, byTokens);
    }

    private void drain(Stream s, long now, boolean force, List<Chunk> out) {
        while (!s.ring.isEmpty()) {
            if (!force && (s.budgetSpent
                    || s.ring.size() < config.chunkBytes() && now - s.pendingSince < lingerNanos)) {
                return;
            }
            skipPartialLine(s);
            if (s.ring.isEmpty()) {
                return;
            }
            if (!force) {
                // checked before the cut, which costs a scan: the estimate is never below what the cut takes
                refill(now);
                if (tokens < Math.min(s.ring.size(), config.chunkBytes())) {
                    return;
                }
            }
            int[] cut = cut(s.ring);
            int textBytes = cut[0];
            int consumed = cut[1];
            if (!force) {
                if (s.budget < textBytes) {
                    s.budgetSpent = true;
                    return;
                }
                tokens -= textBytes;
                s.budget -= textBytes;
            }
            String text = text(s.ring.copy(textBytes), consumed > textBytes);
            s.ring.drop(consumed);
            out.add(new Chunk(s.name, text, s.omitted));
            s.omitted = 0;
            s.pendingSince = now;
        }
    }

    /**
     * After the ring dropped old bytes, it may start in the middle of a line: that piece is dropped too (it counts
     * as omitted), so that the record after a gap starts at a line, unless the ring holds no line start at all.
     */
    private static void skipPartialLine(Stream s) {
        ByteRing ring = s.ring;
        if (!ring.startsMidLine()) {
            return;
        }
        int newline = ring.indexOf((byte) '\n', 0, ring.size() - 1);
        int skip = newline >= 0 ? newline + 1 : continuationBytes(ring, 0);
        s.omitted += skip;
        ring.drop(skip);
    }

    /**
     * Where the next record ends: {@code [text bytes, bytes consumed]}. Whole lines up to {@code chunk-bytes}, the
     * last newline consumed but not part of the text; a line longer than a record is cut at a character boundary.
     */
    private int[] cut(ByteRing ring) {
        int limit = config.chunkBytes();
        if (ring.size() <= limit) {
            boolean endsLine = ring.at(ring.size() - 1) == '\n';
            return new int[] {endsLine ? ring.size() - 1 : ring.size(), ring.size()};
        }
        int newline = ring.lastIndexOf((byte) '\n', limit + 1);
        if (newline >= 0) {
            return new int[] {newline, newline + 1};
        }
        int end = limit;
        while (end > 0 && (ring.at(end) & 0xC0) == 0x80) {
            end--;
        }
        return new int[] {end, end};
    }

    /** The record's text; line ends of {@code \r\n} become {@code \n}, as a terminal shows them. */
    private static String text(byte[] bytes, boolean endedLine) {
        String text = new String(bytes, StandardCharsets.UTF_8);
        if (text.indexOf('\r') < 0) {
            return text;
        }
        text = text.replace("\r\n", "\n");
        return endedLine && text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
    }

    /** UTF-8 continuation bytes at {@code from}: the rest of a character whose start was dropped. */
    private static int continuationBytes(ByteRing ring, int from) {
        int n = 0;
        while (from + n < ring.size() && n < 3 && (ring.at(from + n) & 0xC0) == 0x80) {
            n++;
        }
        return n;
    }

    private void refill(long now) {
        long elapsed = now - refilledAt;
        if (elapsed > 0) {
            tokens = Math.min(config.bytesPerSecond(),
                    tokens + (double) elapsed * config.bytesPerSecond() / NANOS_PER_SECOND);
            refilledAt = now;
        }
    }

}
