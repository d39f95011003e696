package ai.aegis.cli.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Options of {@code aegis bench}.
 *
 * @param runtimes      runtimes to measure, in order ({@code docker}, {@code bubblewrap}, {@code process})
 * @param explicit      true when the runtimes were named: an unavailable one is then an error, not a skipped row
 * @param runs          measured runs per runtime
 * @param warmup        runs before the measured ones, not counted (JIT, page cache, the engine's first create)
 * @param out           where the Markdown report goes
 * @param image         image of the docker sandboxes
 * @param readOnlyBinds read-only binds of the docker sandboxes (the skeleton image borrows the host's /usr)
 */
public record BenchOptions(List<String> runtimes, boolean explicit, int runs, int warmup, Path out, String image,
                           List<String> readOnlyBinds) {

    public static final List<String> ALL = List.of("docker", "bubblewrap", "process");
    public static final String DEFAULT_IMAGE = "agent-base:local";
    public static final List<String> DEFAULT_BINDS = List.of("/usr:/usr:ro", "/etc/alternatives:/etc/alternatives:ro");

    public BenchOptions {
        runtimes = List.copyOf(runtimes);
        readOnlyBinds = List.copyOf(readOnlyBinds);
        if (runs < 1) {
            throw new IllegalArgumentException("--runs must be at least 1 (got " + runs + ")");
        }
        if (warmup < 0) {
            throw new IllegalArgumentException("--warmup must not be negative (got " + warmup + ")");
        }
    }

    public static BenchOptions parse(String[] args) {
        List<String> runtimes = ALL;
        boolean explicit = false;
        int runs = 50;
        int warmup = 5;
        Path out = Path.of("docs", "benchmarks.md");
        String image = DEFAULT_IMAGE;
        List<String> binds = DEFAULT_BINDS;
        for (Map.Entry<String, String> pair : pairs(args).entrySet()) {
            String option = pair.getKey();
            String value = pair.getValue();
            switch (option) {
                case "--runtime" -> {
                    runtimes = runtimes(value);
                    explicit = !value.equals("all");
                }
                case "--runs" -> runs = number(option, value);
                case "--warmup" -> warmup = number(option, value);
                case "--out" -> out = Path.of(value);
                case "--image" -> image = value;
                // "none" because an empty argument is awkward to type and easy to lose in scripts
                case "--binds" -> binds = value.equals("none") ? List.of()
                        : Arrays.stream(value.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
                default -> throw new IllegalArgumentException("unknown bench option '" + option
                        + "' (see aegis bench --help)");
            }
        }
        return new BenchOptions(runtimes, explicit, runs, warmup, out, image, binds);
    }

    /** The command line that reproduces this run (the defaults spelled out). */
    public String commandLine() {
        List<String> parts = new ArrayList<>(List.of("./aegis", "bench", "--runtime",
                runtimes.equals(ALL) ? "all" : String.join(",", runtimes), "--runs", Integer.toString(runs),
                "--warmup", Integer.toString(warmup), "--out", out.toString()));
        if (runtimes.contains("docker")) {
            if (!image.equals(DEFAULT_IMAGE)) {
                parts.addAll(List.of("--image", image));
            }
            if (!readOnlyBinds.equals(DEFAULT_BINDS)) {
                parts.addAll(List.of("--binds", readOnlyBinds.isEmpty() ? "none" : String.join(",", readOnlyBinds)));
            }
        }
        return String.join(" ", parts);
    }

    public static String usage() {
        return """
                usage: aegis bench [--runtime docker|bubblewrap|process|all] [--runs 50] [--warmup 5]
                                   [--out docs/benchmarks.md] [--image agent-base:local]
                                   [--binds /usr:/usr:ro,/etc/alternatives:/etc/alternatives:ro|none]

                Measures sandbox start latency: an embedded broker, one worker per runtime and the public API in this
                JVM, a scripted model that runs `date +%s%N` in the sandbox. Runs one execution at a time and reports
                request -> first command and request -> execution_completed (min, median, p90, p99, max).
                --runtime takes one name, a comma-separated list, or all (the default; unavailable runtimes are
                skipped). --image and --binds apply to the docker runtime.
                """;
    }

    private static List<String> runtimes(String value) {
        return names(value, ALL, "runtime", "docker, bubblewrap, process or all");
    }

    /**
     * A comma-separated list of names out of {@code known}, or {@code all}.
     *
     * @param kind    what a name is, for the errors ("runtime")
     * @param choices what may be given, for the errors
     */
    static List<String> names(String value, List<String> known, String kind, String choices) {
        if (value.equals("all")) {
            return known;
        }
        List<String> names = Arrays.stream(value.split(",")).map(String::trim).filter(s -> !s.isEmpty()).distinct()
                .toList();
        for (String name : names) {
            if (!known.contains(name)) {
                throw new IllegalArgumentException("unknown " + kind + " '" + name + "' (" + choices + ")");
            }
        }
        if (names.isEmpty()) {
            throw new IllegalArgumentException("--" + kind + " needs a " + kind + " name");
        }
        return names;
    }

    /** {@code --option value} pairs in order; an option without a value is an error. */
    static Map<String, String> pairs(String[] args) {
        Map<String, String> pairs = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i += 2) {
            String value = i + 1 < args.length ? args[i + 1] : null;
            if (value == null || value.startsWith("--")) {
                throw new IllegalArgumentException(args[i] + " needs a value (see aegis bench --help)");
            }
            pairs.put(args[i], value);
        }
        return pairs;
    }

    static int number(String option, String value) {
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " must be a whole number (got '" + value + "')");
        }
    }
}
