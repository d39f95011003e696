package ai.aegis.worker.console;

import ai.aegis.worker.console.ConsoleBatcher.Chunk;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The console rules with time given by the test: gathering, the budget with its tail, the rate limit. */
class ConsoleBatcherTest {

    private static final long MS = 1_000_000;
    private static final ConsoleConfig SMALL = ConsoleConfig.builder().chunkBytes(64).linger(Duration.ofMillis(50))
            .tailBytes(256).maxBytesPerIteration(1024).bytesPerSecond(1 << 20).build();

    @Test
    void linesThatArriveWithinTheLingerShareOneRecord() {
        ConsoleBatcher b = new ConsoleBatcher(SMALL, 0);
        assertThat(b.line("stdout", "collected 2 items", 0)).isEmpty();
        assertThat(b.line("stdout", "", MS)).isEmpty();
        assertThat(b.line("stdout", "test_prime.py ..", 2 * MS)).isEmpty();
        assertThat(b.nextDue()).isEqualTo(50 * MS);
        assertThat(b.due(49 * MS)).isEmpty();

        assertThat(b.due(50 * MS)).containsExactly(new Chunk("stdout", "collected 2 items\n\ntest_prime.py ..", 0));
        assertThat(b.nextDue()).isEqualTo(Long.MAX_VALUE);
        assertThat(b.finish()).isEmpty();
    }

    @Test
    void aFullRecordIsDueAtOnceAndEndsAtALine() {
        ConsoleBatcher b = new ConsoleBatcher(SMALL, 0);
        List<Chunk> out = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            out.addAll(b.line("stdout", "line number " + i, 0)); // 13 or 14 bytes with the newline
        }
        out.addAll(b.finish());

        assertThat(out.getFirst().text()).isEqualTo("line number 0\nline number 1\nline number 2\nline number 3");
        assertThat(out).allSatisfy(c -> {
            assertThat(c.text().getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(64);
            assertThat(c.truncated()).isFalse();
        });
        assertThat(joined(out)).isEqualTo(String.join("\n", java.util.stream.IntStream.range(0, 10)
                .mapToObj(i -> "line number " + i).toList()));
    }

    @Test
    void pastItsBudgetAStreamKeepsOnlyItsTailWhichIsWrittenAtTheEndMarkedTruncated() {
        ConsoleBatcher b = new ConsoleBatcher(SMALL, 0);
        List<Chunk> out = new ArrayList<>();
        int lines = 2000;
        long printed = 0;
        for (int i = 0; i < lines; i++) {
            String line = "%05d".formatted(i);
            printed += line.length() + 1;
            out.addAll(b.line("stdout", line, i * MS / 10));
        }
        int live = out.size();
        List<Chunk> tail = b.finish();
        out.addAll(tail);

        // the budget counts the text written; every byte printed is either written (lines and their newlines) or
        // counted as omitted
        assertThat(out.stream().mapToLong(c -> c.text().length()).sum())
                .isLessThanOrEqualTo(SMALL.maxBytesPerIteration());
        assertThat(out.subList(0, live)).allSatisfy(c -> assertThat(c.truncated()).isFalse());
        // the tail: the last lines, whole, after a gap that says how much is missing
        assertThat(tail.getFirst().truncated()).isTrue();
        assertThat(tail.getFirst().text()).matches("\\d{5}(\\n\\d{5})*");
        assertThat(tail.getLast().text()).endsWith("01999");
        long written = out.stream().mapToLong(c -> c.text().length() + 1).sum();
        assertThat(written + tail.getFirst().omittedBytes()).isEqualTo(printed);
        assertThat(tail.stream().mapToLong(c -> c.text().length() + 1).sum()).isLessThanOrEqualTo(256);
    }

    @Test
    void theRateLimitHoldsLinesAndLetsTheNewestGoWhenTokensComeBack() {
        ConsoleConfig slow = SMALL.toBuilder().bytesPerSecond(128).build(); // two records a second, one second full
        ConsoleBatcher b = new ConsoleBatcher(slow, 0);
        List<Chunk> first = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            first.addAll(b.line("stderr", "warning %03d".formatted(i), 0)); // 12 bytes each
        }
        assertThat(first).hasSize(2).allSatisfy(c -> assertThat(c.truncated()).isFalse());
        long due = b.nextDue();
        assertThat(due).isGreaterThan(0).isLessThanOrEqualTo(1000 * MS);
        assertThat(b.due(due - MS)).isEmpty();

        List<Chunk> later = b.due(due);
        assertThat(later).singleElement().satisfies(c -> {
            assertThat(c.stream()).isEqualTo("stderr");
            assertThat(c.truncated()).isTrue();
            assertThat(c.text()).startsWith("warning 0").doesNotStartWith("warning 010");
        });
        List<Chunk> rest = b.finish();
        assertThat(rest.getLast().text()).endsWith("warning 099");
        long dropped = later.getFirst().omittedBytes() + rest.stream().mapToLong(Chunk::omittedBytes).sum();
        long written = 0;
        for (Chunk c : concat(first, later, rest)) {
            written += c.text().length() + 1;
        }
        assertThat(written + dropped).isEqualTo(100 * 12);
    }

    @Test
    void aLineLongerThanARecordIsSplitAtCharacterBoundaries() {
        ConsoleBatcher b = new ConsoleBatcher(SMALL, 0);
        String line = "é€".repeat(20); // 100 bytes, 2- and 3-byte characters
        List<Chunk> out = new ArrayList<>(b.line("stdout", line, 0));
        out.addAll(b.finish());

        assertThat(out).hasSizeGreaterThan(1).allSatisfy(c ->
                assertThat(c.text().getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(64));
        assertThat(String.join("", out.stream().map(Chunk::text).toList())).isEqualTo(line);
    }

    @Test
    void theTailOfOneHugeLineIsKeptFromACharacterBoundary() {
        ConsoleBatcher b = new ConsoleBatcher(SMALL, 0);
        List<Chunk> out = new ArrayList<>(b.line("stdout", "€".repeat(1000), 0)); // 3000 bytes, past the ring
        out.addAll(b.finish());

        assertThat(out.getFirst().truncated()).isTrue();
        assertThat(String.join("", out.stream().map(Chunk::text).toList())).matches("€+");
        long kept = out.stream().mapToLong(c -> c.text().getBytes(StandardCharsets.UTF_8).length).sum();
        assertThat(kept + out.getFirst().omittedBytes() + 1).isEqualTo(3001);
    }

    @Test
    void theStreamsAreGatheredApart() {
        ConsoleBatcher b = new ConsoleBatcher(SMALL, 0);
        b.line("stdout", "out 1", 0);
        b.line("stderr", "err 1", 0);
        b.line("stdout", "out 2", 0);

        assertThat(b.due(50 * MS)).containsExactly(new Chunk("stdout", "out 1\nout 2", 0),
                new Chunk("stderr", "err 1", 0));
    }

    @Test
    void bytesAsReadAreCutIntoLinesWhateverTheReadsAndLineEndsOfCrLfBecomeNewlines() {
        ConsoleBatcher b = new ConsoleBatcher(SMALL, 0);
        List<Chunk> out = new ArrayList<>();
        for (String read : List.of("Down", "loading 10%\r\nDownloading 2", "0%\r\n", "no newline at the end")) {
            byte[] bytes = read.getBytes(StandardCharsets.UTF_8);
            out.addAll(b.bytes("stdout", bytes, bytes.length, 0));
        }
        out.addAll(b.finish());

        assertThat(joined(out)).isEqualTo("Downloading 10%\nDownloading 20%\nno newline at the end");
    }

    private static String joined(List<Chunk> chunks) {
        return String.join("\n", chunks.stream().map(Chunk::text).toList());
    }

    @SafeVarargs
    private static List<Chunk> concat(List<Chunk>... lists) {
        List<Chunk> out = new ArrayList<>();
        for (List<Chunk> l : lists) {
            out.addAll(l);
        }
        return out;
    }
}
