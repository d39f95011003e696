package ai.aegis.cli.bench;

import ai.aegis.broker.EmbeddedKafkaBroker;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@code aegis bench --scenario ingress|sse|fanout|webhooks|auth|all}: the ingress at volume. One embedded broker for the run;
 * each scenario composes its own system on it (topics of its own), measures, and closes it before the next starts.
 */
public final class IngressBench {

    // Per-request and per-execution warnings (the process runtime's, a closed stream's) are expected by the
    // thousand here. Strong references: java.util.logging keeps loggers weakly and a collected one forgets its level.
    private static final List<Logger> QUIET = List.of(
            Logger.getLogger(ai.aegis.worker.runtime.process.ProcessRuntime.class.getName()),
            Logger.getLogger(ai.aegis.worker.execution.ExecutionRunner.class.getName()),
            Logger.getLogger(ai.aegis.ingress.stream.EventStream.class.getName()));

    /** One scenario's measurement. */
    @FunctionalInterface
    private interface Scenario {
        ScenarioResult run(ScenarioOptions options, String servers, Path dir, PrintStream out)
                throws IOException, InterruptedException;
    }

    private IngressBench() {
    }

    /** @return the exit code: 0 when every scenario asked for was measured */
    public static int run(String[] args, PrintStream out) {
        ScenarioOptions options = ScenarioOptions.parse(args);
        QUIET.forEach(l -> l.setLevel(Level.SEVERE));
        ZonedDateTime at = ZonedDateTime.now();
        Machine machine = Machine.describe(null);
        List<ScenarioResult> results = new ArrayList<>();
        boolean failed = false;
        Path dir = temporaryDirectory();
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dir.resolve("kafka"))) {
            for (String name : options.scenarios()) {
                Scenario scenario = switch (name) {
                    case "ingress" -> IngressScenario::run;
                    case "sse" -> SseScenario::run;
                    case "fanout" -> FanoutScenario::run;
                    case "webhooks" -> WebhookScenario::run;
                    case "auth" -> AuthScenario::run;
                    default -> throw new IllegalArgumentException("unknown scenario " + name);
                };
                out.println("bench: scenario " + name);
                long t0 = System.nanoTime();
                try {
                    results.add(scenario.run(options, broker.bootstrapServers(), dir.resolve(name), out));
                } catch (IOException | RuntimeException e) {
                    failed = true;
                    results.add(new ScenarioResult(name, "", List.of(), List.of("Failed: " + e)));
                    e.printStackTrace(out);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return 1;
                }
                out.printf("bench: scenario %s took %.0f s%n", name, (System.nanoTime() - t0) / 1e9);
                // after each scenario: a run stopped in a later one keeps what was measured before it
                write(options, machine, results, at);
            }
        } finally {
            Bench.deleteQuietly(dir);
        }
        out.println();
        for (ScenarioResult r : results) {
            out.println("### " + r.name() + "\n");
            out.println(IngressReport.table(r));
            r.notes().forEach(n -> out.println("- " + n));
        }
        out.println("Report written to " + options.out().toAbsolutePath());
        return failed ? 1 : 0;
    }

    private static void write(ScenarioOptions options, Machine machine, List<ScenarioResult> results,
                              ZonedDateTime at) {
        try {
            Optional<String> previous = Files.exists(options.out()) ? Optional.of(Files.readString(options.out()))
                    : Optional.empty();
            Path parent = options.out().toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Files.writeString(options.out(), IngressReport.markdown(options, machine, results, at, previous));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the report to " + options.out(), e);
        }
    }

    private static Path temporaryDirectory() {
        try {
            return Files.createTempDirectory("aegis-bench-ingress-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a temporary directory", e);
        }
    }
}
