package ai.aegis.cli.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Options of {@code aegis bench --scenario ingress|sse|fanout|webhooks|auth|all}: the ingress at volume.
 *
 * @param scenarios     the scenarios to run, in order
 * @param out           the Markdown report (one page for every scenario run)
 * @param repeats       how many times each figure is measured (the report gives min/median/max over them)
 * @param connections   concurrent client connections of the throughput measurements (ingress, webhooks)
 * @param seconds       length of one throughput measurement (ingress, webhooks)
 * @param warmupSeconds load before each throughput measurement, not counted (ingress, webhooks)
 * @param pending       executions left pending before the second POST measurement
 * @param runs          executions per client kind and repetition of the SSE latency measurement
 * @param fanoutRuns    executions per level and repetition of the extra subscriber's latency
 * @param streams       the idle stream counts of the fanout scenario (0 is always measured first)
 */
public record ScenarioOptions(List<String> scenarios, Path out, int repeats, int connections, int seconds,
                              int warmupSeconds, int pending, int runs, int fanoutRuns, List<Integer> streams) {

    public static final List<String> ALL = List.of("ingress", "sse", "fanout", "webhooks", "auth");
    public static final List<Integer> DEFAULT_STREAMS = List.of(1000, 5000, 10000);

    public ScenarioOptions {
        scenarios = List.copyOf(scenarios);
        streams = List.copyOf(streams);
        atLeast("--repeats", repeats, 1);
        atLeast("--connections", connections, 1);
        atLeast("--seconds", seconds, 1);
        atLeast("--warmup-seconds", warmupSeconds, 0);
        atLeast("--pending", pending, 0);
        atLeast("--runs", runs, 1);
        atLeast("--fanout-runs", fanoutRuns, 1);
        for (int n : streams) {
            atLeast("--streams", n, 1);
        }
    }

    public static ScenarioOptions parse(String[] args) {
        List<String> scenarios = ALL;
        Path out = Path.of("docs", "benchmarks-ingress.md");
        int repeats = 3;
        int connections = 32;
        int seconds = 10;
        int warmupSeconds = 3;
        int pending = 100_000;
        int runs = 200;
        int fanoutRuns = 20;
        List<Integer> streams = DEFAULT_STREAMS;
        for (Map.Entry<String, String> pair : BenchOptions.pairs(args).entrySet()) {
            String option = pair.getKey();
            String value = pair.getValue();
            switch (option) {
                case "--scenario" -> scenarios = scenarios(value);
                case "--out" -> out = Path.of(value);
                case "--repeats" -> repeats = BenchOptions.number(option, value);
                case "--connections" -> connections = BenchOptions.number(option, value);
                case "--seconds" -> seconds = BenchOptions.number(option, value);
                case "--warmup-seconds" -> warmupSeconds = BenchOptions.number(option, value);
                case "--pending" -> pending = BenchOptions.number(option, value);
                case "--runs" -> runs = BenchOptions.number(option, value);
                case "--fanout-runs" -> fanoutRuns = BenchOptions.number(option, value);
                case "--streams" -> streams = Arrays.stream(value.split(",")).map(String::trim)
                        .filter(s -> !s.isEmpty()).map(s -> BenchOptions.number(option, s)).sorted().distinct()
                        .toList();
                default -> throw new IllegalArgumentException("unknown bench option '" + option
                        + "' (see aegis bench --help)");
            }
        }
        return new ScenarioOptions(scenarios, out, repeats, connections, seconds, warmupSeconds, pending, runs,
                fanoutRuns, streams);
    }

    /** The command line that reproduces this run, every size spelled out. */
    public String commandLine() {
        List<String> parts = new ArrayList<>(List.of("./aegis", "bench", "--scenario",
                scenarios.equals(ALL) ? "all" : String.join(",", scenarios), "--repeats", Integer.toString(repeats)));
        if (scenarios.contains("ingress") || scenarios.contains("webhooks") || scenarios.contains("auth")) {
            parts.addAll(List.of("--connections", Integer.toString(connections), "--seconds",
                    Integer.toString(seconds), "--warmup-seconds", Integer.toString(warmupSeconds)));
        }
        if (scenarios.contains("ingress")) {
            parts.addAll(List.of("--pending", Integer.toString(pending)));
        }
        if (scenarios.contains("sse")) {
            parts.addAll(List.of("--runs", Integer.toString(runs)));
        }
        if (scenarios.contains("fanout")) {
            parts.addAll(List.of("--fanout-runs", Integer.toString(fanoutRuns), "--streams",
                    String.join(",", streams.stream().map(String::valueOf).toList())));
        }
        parts.addAll(List.of("--out", out.toString()));
        return String.join(" ", parts);
    }

    public static String usage() {
        return """
                usage: aegis bench --scenario ingress|sse|fanout|webhooks|auth|all [--out docs/benchmarks-ingress.md]
                                   [--repeats 3]
                                   [--connections 32] [--seconds 10] [--warmup-seconds 3] [--pending 100000]
                                   [--runs 200] [--fanout-runs 20] [--streams 1000,5000,10000]

                The ingress at volume, each scenario on the whole system in this JVM (embedded broker, workflow
                engine, approvals, the API on a free loopback port, and a worker on the process runtime with a
                scripted model except where a scenario says otherwise); every figure measured --repeats times:
                  ingress  POST /v1/executions against GET /health (req/s, --connections keep-alive connections,
                           --seconds per measurement after --warmup-seconds), with no worker, then again once
                           --pending executions are pending; answers other than 2xx counted by status
                  sse      POST -> execution_started on the execution's stream, a pooled client against a fresh
                           one (--runs each), and SSE delivery against a plain KafkaConsumer on the events topic
                  fanout   heap per idle SSE stream (held by a child JVM) and one more subscriber's
                           POST -> execution_completed at 0 and each of --streams idle streams (--fanout-runs)
                  webhooks signed POST /v1/webhooks/{source} (routed to a workflow, answered 200 after the route),
                           the same with Prefer: respond-async (202 once durable), and GET /health, with no
                           worker: req/s and p50/p99 closed loop (--connections), then p50/p99 open loop at half
                           that rate; every other answer counted as an error
                  auth     GET /v1/agents without authentication, with the local token and with a (cached)
                           OIDC access token, side by side (--connections, --seconds)
                all (the default) runs the five and writes one page. --scenario latency is the sandbox start
                benchmark (the default without --scenario), --scenario restart is aegis bench restart,
                --scenario smcp the signed tool calls (below).
                """;
    }

    private static List<String> scenarios(String value) {
        List<String> names = BenchOptions.names(value, ALL, "scenario",
                "ingress, sse, fanout, webhooks, auth, all, latency, restart or smcp");
        // the page's sections keep one order whatever order they were asked in
        return ALL.stream().filter(names::contains).toList();
    }

    private static void atLeast(String option, int value, int min) {
        if (value < min) {
            throw new IllegalArgumentException(option + " must be at least " + min + " (got " + value + ")");
        }
    }
}
