package ai.aegis.cli.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code aegis bench --scenario smcp} in a tiny configuration, through the real path (the worker's SMCP service,
 * real tokens and signatures, a real Helidon listener): the page has every row with a rate above zero, and every
 * call was answered as a valid one (an envelope refused, a replay among them, is an error and fails the run). Not
 * the figures themselves: a test machine's are meaningless.
 */
class SmcpBenchTest {

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void theSmcpScenarioWritesEveryRowWithNoErrors(@TempDir Path dir) throws Exception {
        Path page = dir.resolve("benchmarks-smcp.md");
        BenchRun run = BenchRun.of(page, "--scenario", "smcp", "--repeats", "1", "--seconds", "1",
                "--warmup-seconds", "0", "--connections", "2");

        assertThat(run.exit()).as(run.log()).isZero();
        assertThat(run.page()).contains("# Benchmarks: signed tool calls (SMCP)",
                "./aegis bench --scenario smcp --repeats 1 --seconds 1 --warmup-seconds 0 --connections 2 --out "
                        + page);
        int processors = Runtime.getRuntime().availableProcessors();
        for (String name : List.of("Ed25519 verify, BouncyCastle", "Ed25519 verify, JDK provider",
                "RS256 JWT verify", "PolicyEngine.evaluate", "canonical JSON", "SmcpService.invoke")) {
            for (int threads : processors == 1 ? List.of(1) : List.of(1, processors)) {
                String[] cells = row(run.page(), "| " + name + " | " + threads + " |");
                assertThat(Double.parseDouble(cells[3])).as(name + ", " + threads).isPositive();
                assertThat(cells[7]).as(name + ": errors").isEqualTo("0");
            }
        }
        for (String request : List.of("POST /bench/noop (no-op)", "POST /v1/smcp/invoke")) {
            String[] cells = row(run.page(), "| " + request + " |");
            assertThat(Double.parseDouble(cells[2])).as(request).isPositive();
            assertThat(cells[7]).as(request + ": non-200").isEqualTo("0");
        }
        assertThat(run.page()).contains("| Ed25519 verify: BouncyCastle / JDK, 1 thread(s) |",
                "| HTTP: invoke / no-op |");
    }

    /** The cells of the line that starts with {@code prefix}, trimmed (cell 0 is the empty one before the first bar). */
    private static String[] row(String page, String prefix) {
        String line = page.lines().filter(l -> l.startsWith(prefix)).findFirst()
                .orElseThrow(() -> new AssertionError("no row " + prefix + " in\n" + page));
        return java.util.Arrays.stream(line.split("\\|")).map(String::trim).toArray(String[]::new);
    }
}
