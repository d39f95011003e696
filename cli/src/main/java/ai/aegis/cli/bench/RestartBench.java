package ai.aegis.cli.bench;

import ai.aegis.cli.AegisMain;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code aegis bench restart}: how long {@code aegis up} takes to serve again after a {@code kill -9}, measured side
 * by side, in the same run and on the same data directory, with a cold start (a fresh data directory) and a graceful
 * restart (SIGTERM). Each start is a separate {@code aegis up} JVM; the figures are the times from the process start
 * to the first {@code 200} of {@code GET /health} (the API answers) and of {@code GET /health/ready} (every composed
 * service reports itself up).
 */
public final class RestartBench {

    /** Upper bound on one start: a start that takes longer is reported as failed, not waited for forever. */
    private static final Duration START_LIMIT = Duration.ofSeconds(180);
    private static final Duration POLL = Duration.ofMillis(50);

    private RestartBench() {
    }

    /** One start: when the API answered, and when everything was ready (ms after the process was started). */
    record Start(double healthMs, double readyMs) {
    }

    /** @return the exit code */
    static int run(String[] args, PrintStream out) throws IOException, InterruptedException {
        int runs = 5;
        Path report = Path.of("docs", "benchmarks-restart.md");
        for (int i = 0; i < args.length; i += 2) {
            String value = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--runs" -> runs = Integer.parseInt(required(args[i], value));
                case "--out" -> report = Path.of(required(args[i], value));
                case "-h", "--help" -> {
                    out.print(usage());
                    return 0;
                }
                default -> throw new IllegalArgumentException("unknown option '" + args[i] + "'\n" + usage());
            }
        }
        if (runs < 1) {
            throw new IllegalArgumentException("--runs must be at least 1");
        }
        Machine machine = Machine.describe(null);
        ZonedDateTime at = ZonedDateTime.now();
        List<Start> cold = new ArrayList<>();
        List<Start> graceful = new ArrayList<>();
        List<Start> killed = new ArrayList<>();
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        for (int run = 1; run <= runs; run++) {
            Path dir = Files.createTempDirectory("aegis-restart-bench-");
            try {
                Process up = start(dir);
                cold.add(await(up, dir, http));
                // a workload to restart with: the engine and the approval service have state and groups by now
                up.destroy(); // SIGTERM: the shutdown hooks close every service
                require(up.waitFor(60, TimeUnit.SECONDS), "aegis up did not stop within 60 s of SIGTERM");
                up = start(dir);
                graceful.add(await(up, dir, http));
                up.destroyForcibly(); // SIGKILL: nothing is closed, nobody leaves a group
                require(up.waitFor(30, TimeUnit.SECONDS), "aegis up did not die of SIGKILL");
                up = start(dir);
                killed.add(await(up, dir, http));
                up.destroy();
                up.waitFor(60, TimeUnit.SECONDS);
            } finally {
                Bench.deleteQuietly(dir);
            }
            out.printf("bench restart: run %d/%d: cold %s, graceful %s, after kill -9 %s (ms to ready)%n", run, runs,
                    Report.ms(cold.getLast().readyMs()), Report.ms(graceful.getLast().readyMs()),
                    Report.ms(killed.getLast().readyMs()));
        }
        String markdown = markdown(runs, machine, at, cold, graceful, killed);
        Path parent = report.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.writeString(report, markdown);
        out.println("Report written to " + report.toAbsolutePath());
        return 0;
    }

    private static Process start(Path dir) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>(List.of(java));
        command.addAll(ProcessHandle.current().info().arguments().map(a -> jvmFlags(List.of(a))).orElse(List.of()));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), AegisMain.class.getName(), "up",
                "--data-dir", dir.toString(), "--port", "0", "--internal-port", "0", "--runtime", "process"));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("up.log").toFile()));
        return pb.start();
    }

    /** The JVM flags of this process that the child needs too (native access, memory), none of its arguments. */
    private static List<String> jvmFlags(List<String> arguments) {
        List<String> flags = new ArrayList<>();
        for (String a : arguments) {
            if (a.startsWith("--enable-native-access") || a.startsWith("--sun-misc-unsafe-memory-access")
                    || a.startsWith("-Xmx")) {
                flags.add(a);
            }
        }
        return flags;
    }

    /** Polls the child's port (read from its banner) until /health, then /health/ready, answer 200. */
    private static Start await(Process up, Path dir, HttpClient http) throws IOException, InterruptedException {
        long t0 = up.info().startInstant().map(i -> i.toEpochMilli() * 1_000_000L)
                .orElse(System.currentTimeMillis() * 1_000_000L);
        long deadline = System.nanoTime() + START_LIMIT.toNanos();
        Double health = null;
        while (System.nanoTime() < deadline) {
            require(up.isAlive(), "aegis up exited with " + (up.isAlive() ? "?" : up.exitValue()) + "; see "
                    + dir.resolve("up.log"));
            Integer port = port(dir);
            if (port != null) {
                String token = Files.exists(dir.resolve("api-token")) ? Files.readString(dir.resolve("api-token"))
                        .trim() : "";
                if (health == null && status(http, port, "/health", token) == 200) {
                    health = sinceStart(t0);
                }
                if (health != null && status(http, port, "/health/ready", token) == 200) {
                    return new Start(health, sinceStart(t0));
                }
            }
            Thread.sleep(POLL.toMillis()); // polling a child process's port: nothing to wait on but time
        }
        up.destroyForcibly();
        throw new IllegalStateException("aegis up was not ready within " + START_LIMIT.toSeconds() + " s; see "
                + dir.resolve("up.log"));
    }

    private static double sinceStart(long t0Nanos) {
        return (System.currentTimeMillis() * 1_000_000L - t0Nanos) / 1e6;
    }

    /** The port of the banner line {@code Aegis is up: http://localhost:N} of the current start, when printed. */
    private static Integer port(Path dir) throws IOException {
        Path log = dir.resolve("up.log");
        if (!Files.exists(log)) {
            return null;
        }
        List<String> lines = Files.readAllLines(log);
        for (int i = lines.size() - 1; i >= 0; i--) {
            String line = lines.get(i);
            if (line.contains("Aegis stopped.")) {
                return null; // the banner above belongs to an earlier start
            }
            int at = line.indexOf("Aegis is up: http://localhost:");
            if (at >= 0) {
                return Integer.parseInt(line.substring(at + "Aegis is up: http://localhost:".length()).trim());
            }
        }
        return null;
    }

    private static int status(HttpClient http, int port, String path, String token) {
        try {
            HttpRequest.Builder req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .timeout(Duration.ofSeconds(2));
            if (!token.isEmpty()) {
                req.header("Authorization", "Bearer " + token);
            }
            return http.send(req.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    static String markdown(int runs, Machine machine, ZonedDateTime at, List<Start> cold, List<Start> graceful,
                           List<Start> killed) {
        StringBuilder b = new StringBuilder();
        b.append("# Benchmarks: restart of `aegis up`\n\n");
        b.append("Generated by `aegis bench restart` on ")
                .append(at.format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm z"))).append(
                        ". Re-running the command below rewrites this page.\n\n");
        b.append("```\n./aegis bench restart --runs ").append(runs).append(" --out docs/benchmarks-restart.md\n```\n\n");
        b.append("""
                Each run starts `aegis up` (embedded broker, worker on the process runtime, workflow engine, approval
                service, API; each start is its own JVM) three times on one fresh data directory: a **cold** start, a
                **graceful** restart after SIGTERM (every service closes and leaves its group), and a restart after
                **kill -9** (nothing closes: the broker's log and the Streams state are not flushed, the groups still
                list the dead process). The figures are from the process start to the first `200` of `GET /health`
                (the API answers) and of `GET /health/ready` (every composed service is up). Why the restart after
                kill -9 is fast, and what made it slow before, is in
                [architecture.md](architecture.md#a-fast-restart-after-a-crash).

                """);
        b.append("| | |\n|---|---|\n");
        b.append("| CPUs (nproc) | ").append(machine.processors()).append(" × ").append(machine.cpuModel()).append(" |\n");
        b.append("| memory | ").append(machine.memory()).append(" |\n");
        b.append("| JDK | ").append(machine.jdk()).append(" |\n");
        b.append("| load average at start | ").append(machine.loadAverage()).append(" |\n");
        b.append("| load average at end | ").append(Machine.loadAverageNow()).append(" |\n\n");
        b.append("| start (ms, ").append(runs).append(" runs) | to /health: min | median | max | to /health/ready: min "
                + "| median | max |\n|---|---|---|---|---|---|---|\n");
        row(b, "cold (fresh data directory)", cold);
        row(b, "graceful restart (SIGTERM)", graceful);
        row(b, "restart after kill -9", killed);
        return b.toString();
    }

    private static void row(StringBuilder b, String name, List<Start> starts) {
        Summary health = Summary.of(starts.stream().map(Start::healthMs).toList());
        Summary ready = Summary.of(starts.stream().map(Start::readyMs).toList());
        b.append("| ").append(name).append(" | ").append(Report.ms(health.min())).append(" | ")
                .append(Report.ms(health.median())).append(" | ").append(Report.ms(health.max())).append(" | ")
                .append(Report.ms(ready.min())).append(" | ").append(Report.ms(ready.median())).append(" | ")
                .append(Report.ms(ready.max())).append(" |\n");
    }

    static String usage() {
        return """
                usage: aegis bench restart [--runs 5] [--out docs/benchmarks-restart.md]

                Starts `aegis up` in child JVMs on a temporary data directory: cold, after SIGTERM, and after kill -9,
                and reports the time to the first 200 of /health and /health/ready for each.
                """;
    }

    private static String required(String option, String value) {
        if (value == null || value.startsWith("--")) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return value;
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalStateException(message);
        }
    }
}
