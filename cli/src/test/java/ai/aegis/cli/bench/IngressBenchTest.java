package ai.aegis.cli.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code aegis bench --scenario all} in a tiny configuration, through the real path: its own embedded broker, the
 * systems over real HTTP, a child JVM holding the idle streams. It checks that every scenario was measured and the
 * page has each scenario's rows, not the figures themselves (a test machine's are meaningless).
 */
class IngressBenchTest {

    @Test
    // about 110 s on a shared two-core machine, the webhooks scenario a third of it
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void everyScenarioWritesItsRowsIntoOnePage(@TempDir Path dir) throws Exception {
        Path page = dir.resolve("benchmarks-ingress.md");
        BenchRun run = BenchRun.of(page, "--scenario", "all", "--repeats", "1", "--seconds", "1",
                "--warmup-seconds", "0", "--connections", "4", "--pending", "200", "--runs", "3", "--fanout-runs",
                "1", "--streams", "50");

        assertThat(run.exit()).as(run.log()).isZero();
        String markdown = run.page();
        assertThat(markdown).contains("# Benchmarks: the ingress at volume", "| CPUs (nproc) |",
                "./aegis bench --scenario all --repeats 1 --connections 4 --seconds 1 --warmup-seconds 0 "
                        + "--pending 200 --runs 3 --fanout-runs 1 --streams 50 --out " + page);
        List<String> rows = run.rows().stream().map(BenchRun.Row::name).toList();
        assertThat(rows).contains("GET /health", "POST /v1/executions, before the pre-fill", "POST / GET",
                "POST / GET", "POST, before the pre-fill: 429 answers", "POST, before the pre-fill: 503 answers",
                "POST → execution_started, pooled client: p50", "POST → execution_started, fresh client: p99",
                "record → SSE frame: p50", "record → plain KafkaConsumer: p99",
                "public listener: one more subscriber, 0 idle streams: p50",
                "public listener: heap per idle stream at 50", "stream listener: heap per idle stream at 50",
                "stream listener: one more subscriber at 50: p50 / baseline p50",
                "stream listener: execution_completed written → its frame, 50 idle streams: p50",
                "stream listener / public listener: heap per idle stream at 50",
                "webhook (200, routed), closed loop", "webhook, respond-async (202), open loop: p99");
        assertThat(rows).anyMatch(r -> r.matches("POST /v1/executions, \\d+\\+ pending"));
        // every section sits between its markers, so that a run of one scenario replaces only its own
        for (String scenario : ScenarioOptions.ALL) {
            assertThat(markdown).contains("<!-- scenario:" + scenario + " -->", "<!-- /scenario:" + scenario + " -->");
        }
    }
}
