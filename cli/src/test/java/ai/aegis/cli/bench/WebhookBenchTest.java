package ai.aegis.cli.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code aegis bench --scenario webhooks} in a tiny configuration, through the real path: its own embedded broker,
 * the system without a worker, signed webhooks over real HTTP routed to a workflow. It checks that the section is
 * written between its markers with a figure in every row and that no request got another answer than the expected
 * one (every 200 and 202 counted, none refused), not the figures themselves (a test machine's are meaningless).
 */
class WebhookBenchTest {

    private static final String ROUTED = "webhook (200, routed)";
    private static final String ASYNC = "webhook, respond-async (202)";

    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void theWebhookScenarioWritesItsSectionWithFiguresAndNoErrors(@TempDir Path dir) throws Exception {
        Path page = dir.resolve("benchmarks-ingress.md");
        BenchRun run = BenchRun.of(page, "--scenario", "webhooks", "--repeats", "1", "--seconds", "1",
                "--warmup-seconds", "0", "--connections", "4");

        assertThat(run.exit()).as(run.log()).isZero();
        String markdown = run.page();
        assertThat(markdown).contains("<!-- scenario:webhooks -->", "<!-- /scenario:webhooks -->",
                "## Webhooks: signed POST /v1/webhooks/{source} against GET /health",
                "./aegis bench --scenario webhooks --repeats 1 --connections 4 --seconds 1 --warmup-seconds 0 "
                        + "--out " + page);
        // only this scenario ran: no other section on the page
        assertThat(markdown).doesNotContain("<!-- scenario:ingress -->", "<!-- scenario:sse -->",
                "<!-- scenario:fanout -->");
        Map<String, BenchRun.Row> rows = run.rows("webhooks").stream()
                .collect(Collectors.toMap(BenchRun.Row::name, r -> r));
        for (String kind : List.of("GET /health", ROUTED, ASYNC)) {
            assertThat(rows).containsKeys(kind + ", closed loop", kind + ", closed loop: p50",
                    kind + ", closed loop: p99", kind + ", closed loop: JVM CPU",
                    kind + ", open loop at half that rate", kind + ", open loop: p50", kind + ", open loop: p99");
            assertThat(rows.get(kind + ", closed loop").min()).as(kind).isPositive();
            assertThat(rows.get(kind + ", open loop at half that rate").min()).as(kind).isPositive();
            // every request got the expected answer: no 409, 429, 503 or anything else, and none went unanswered
            for (String loop : List.of("closed", "open")) {
                assertThat(rows.get(kind + ": errors, " + loop + " loop").max()).as(kind + " " + loop + "\n"
                        + run.log()).isZero();
            }
        }
        assertThat(rows).containsKeys(ROUTED + " / GET /health", ASYNC + " / GET /health",
                ROUTED + ": catch-up after the closed loop", ASYNC + ": catch-up after the open loop");
        // every webhook started its run before the scenario ended: the stages kept nothing back
        assertThat(markdown).doesNotContain("the next measurement started anyway");
        assertThat(markdown).containsPattern("Webhooks sent in all \\(the warm-up round included\\): (\\d+); "
                + "workflow runs started \\(pending executions in the node's view at the end\\): \\1\\.");
    }
}
