package ai.aegis.cli.bench;

import ai.aegis.broker.EmbeddedKafkaBroker;
import ai.aegis.worker.execution.ExecutionRunner;
import ai.aegis.worker.runtime.ContainerRuntime;
import ai.aegis.worker.runtime.bubblewrap.BubblewrapRuntime;
import ai.aegis.worker.runtime.bubblewrap.BubblewrapRuntimeConfig;
import ai.aegis.worker.runtime.docker.DockerRuntime;
import ai.aegis.worker.runtime.docker.DockerRuntimeConfig;
import ai.aegis.worker.runtime.process.ProcessRuntime;
import ai.aegis.worker.runtime.process.ProcessRuntimeConfig;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * {@code aegis bench}: sandbox start latency of each runtime, measured through the whole system (API, Kafka, worker,
 * sandbox, dispatch gateway) the way an API client sees it, and written up as a Markdown report.
 */
public final class Bench {

    /** Label prefix of the benchmark's containers: the runtime's start-up reaping never touches anyone else's. */
    static final String LABEL_PREFIX = "aegis-bench";

    // The non-isolating runtimes warn on every execution; a benchmark runs them on purpose, hundreds of times.
    // Strong references: java.util.logging keeps loggers weakly and a collected one forgets its level.
    private static final List<Logger> PER_EXECUTION_WARNINGS = List.of(
            Logger.getLogger(ProcessRuntime.class.getName()), Logger.getLogger(ExecutionRunner.class.getName()));

    private Bench() {
    }

    /** @return the exit code: 0 when every runtime asked for was measured */
    public static int run(String[] args, PrintStream out) {
        if (args.length > 0 && List.of("-h", "--help", "help").contains(args[0])) {
            out.print(BenchOptions.usage());
            out.println();
            out.print(RestartBench.usage());
            out.println();
            out.print(ScenarioOptions.usage());
            out.println();
            out.print(SmcpBench.usage());
            return 0;
        }
        String scenario = scenario(args);
        if ("smcp".equals(scenario)) {
            // no broker and no system: the worker's SMCP service alone, on a page of its own
            return SmcpBench.run(withoutScenario(args), out);
        }
        if (scenario != null && !scenario.equals("latency") && !scenario.equals("restart")) {
            return IngressBench.run(args, out);
        }
        if (scenario != null) {
            args = withoutScenario(args);
        }
        boolean restart = "restart".equals(scenario) || args.length > 0 && args[0].equals("restart");
        if (restart) {
            try {
                return RestartBench.run(args.length > 0 && args[0].equals("restart")
                        ? java.util.Arrays.copyOfRange(args, 1, args.length) : args, out);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return 1;
            }
        }
        BenchOptions options = BenchOptions.parse(args);
        PER_EXECUTION_WARNINGS.forEach(l -> l.setLevel(Level.SEVERE));
        ZonedDateTime at = ZonedDateTime.now();
        Path dir;
        try {
            dir = Files.createTempDirectory("aegis-bench-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a temporary directory", e);
        }
        List<RuntimeResult> results = new ArrayList<>();
        Machine machine;
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dir.resolve("kafka"))) {
            DockerRuntimeConfig docker = new DockerRuntimeConfig(null, options.readOnlyBinds(), null, null,
                    LABEL_PREFIX, dir.resolve("docker"), options.image(), null);
            boolean dockerUp = options.runtimes().contains("docker") && DockerRuntime.available(docker);
            machine = Machine.describe(dockerUp ? docker.dockerHost() : null);
            for (String name : options.runtimes()) {
                results.add(measure(name, options, broker.bootstrapServers(), dir.resolve(name), docker, dockerUp,
                        out));
            }
        } finally {
            deleteQuietly(dir);
        }

        String report = Report.markdown(options, machine, results, at);
        try {
            Path parent = options.out().toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Files.writeString(options.out(), report);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the report to " + options.out(), e);
        }
        out.println();
        out.print(Report.tables(results));
        out.println("Report written to " + options.out().toAbsolutePath());
        boolean missing = results.stream().anyMatch(r -> !r.ok() && (options.explicit() || r.problem().startsWith(
                "failed")));
        return missing ? 1 : 0;
    }

    /** The value of {@code --scenario}, or null: without it, the sandbox start latency benchmark runs. */
    private static String scenario(String[] args) {
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals("--scenario")) {
                return args[i + 1];
            }
        }
        return null;
    }

    private static String[] withoutScenario(String[] args) {
        List<String> rest = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--scenario")) {
                i++;
            } else {
                rest.add(args[i]);
            }
        }
        return rest.toArray(String[]::new);
    }

    private static RuntimeResult measure(String name, BenchOptions options, String servers, Path dir,
                                         DockerRuntimeConfig docker, boolean dockerUp, PrintStream out) {
        BubblewrapRuntimeConfig bubblewrap = BubblewrapRuntimeConfig.under(dir.resolve("sandboxes"));
        String setup;
        ContainerRuntime runtime;
        String image = null;
        switch (name) {
            case "docker" -> {
                setup = "Image `" + options.image() + "` (`image_pull_policy: Never`), read-only binds "
                        + (options.readOnlyBinds().isEmpty() ? "none" : "`" + String.join("`, `",
                        options.readOnlyBinds()) + "`") + ", engine at `" + docker.dockerHost() + "`.";
                if (!dockerUp) {
                    return RuntimeResult.notMeasured(name, setup, "no Docker engine answers at "
                            + docker.dockerHost() + " (set DOCKER_HOST)");
                }
                runtime = new DockerRuntime(docker).start();
                image = options.image();
            }
            case "bubblewrap" -> {
                setup = "`" + bubblewrap.bwrap() + "`, python `" + bubblewrap.python() + "`.";
                Optional<String> why = BubblewrapRuntime.unavailableReason(bubblewrap);
                if (why.isPresent()) {
                    return RuntimeResult.notMeasured(name, setup, "bubblewrap cannot run here: " + why.get());
                }
                runtime = new BubblewrapRuntime(bubblewrap);
            }
            case "process" -> {
                setup = "Plain host processes, no isolation.";
                runtime = new ProcessRuntime(new ProcessRuntimeConfig(null, dir.resolve("sandboxes")));
            }
            default -> throw new IllegalArgumentException("unknown runtime '" + name + "'");
        }
        out.println("bench: " + name + ": " + options.warmup() + " warm-up run(s), then " + options.runs()
                + " measured, one at a time");
        List<Sample> samples = new ArrayList<>();
        try (BenchSystem system = BenchSystem.start(servers, runtime, image, dir)) {
            for (int i = 0; i < options.warmup(); i++) {
                system.measure();
            }
            for (int i = 0; i < options.runs(); i++) {
                samples.add(system.measure());
            }
        } catch (IOException | RuntimeException e) {
            return RuntimeResult.notMeasured(name, setup, "failed after " + samples.size() + " measured run(s): "
                    + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return RuntimeResult.notMeasured(name, setup, "failed: interrupted");
        } finally {
            if (runtime instanceof AutoCloseable closeable) {
                closeQuietly(closeable);
            }
        }
        RuntimeResult result = RuntimeResult.measured(name, setup, samples);
        out.println("bench: " + name + ": median to first command " + Report.ms(result.firstCommand().median())
                + " ms, to execution_completed " + Report.ms(result.completed().median()) + " ms");
        return result;
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // the benchmark is over for this runtime
        }
    }

    static void deleteQuietly(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // a temporary directory: the OS cleans what is left
                }
            });
        } catch (IOException ignored) {
            // nothing to clean
        }
    }
}
