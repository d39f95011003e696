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
 * {@code aegis bench --scenario auth} in a tiny configuration, through the real path (two ingress nodes on an
 * embedded broker, real HTTP, a real JWKS): the section is written with a figure in every row and every request
 * was answered 200 (a token refused would be counted as an error).
 */
class AuthBenchTest {

    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void theAuthScenarioWritesItsSectionWithFiguresAndNoErrors(@TempDir Path dir) throws Exception {
        Path page = dir.resolve("benchmarks-ingress.md");
        BenchRun run = BenchRun.of(page, "--scenario", "auth", "--repeats", "1", "--seconds", "1",
                "--warmup-seconds", "0", "--connections", "4");

        assertThat(run.exit()).as(run.log()).isZero();
        assertThat(run.page()).contains("<!-- scenario:auth -->", "<!-- /scenario:auth -->", "## Authentication");
        Map<String, BenchRun.Row> rows = run.rows("auth").stream()
                .collect(Collectors.toMap(BenchRun.Row::name, r -> r));
        for (String kind : List.of("no authentication", "local API token", "OIDC token (cached)")) {
            assertThat(rows.get("GET /v1/agents, " + kind).min()).as(kind).isPositive();
            assertThat(rows.get("GET /v1/agents, " + kind + ": errors").max()).as(kind + "\n" + run.log()).isZero();
        }
        assertThat(rows).containsKeys("OIDC token / no authentication", "local token / no authentication");
    }
}
