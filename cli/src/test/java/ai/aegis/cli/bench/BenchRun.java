package ai.aegis.cli.bench;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * One {@code aegis bench --scenario ...} run in a test, through {@link Bench#run} as the command runs it: its exit
 * code, what it printed, and the page it wrote.
 *
 * @param exit the command's exit code
 * @param log  what it printed (the assertions' description: it says what went wrong)
 * @param page the Markdown page it wrote
 */
record BenchRun(int exit, String log, String page) {

    /** A table row whose three values are numbers. */
    record Row(String name, String unit, double min, double median, double max) {
    }

    private static final Pattern ROW = Pattern.compile(
            "\\| (.+?) \\| (.+?) \\| ([-0-9.]+) \\| ([-0-9.]+) \\| ([-0-9.]+) \\|");

    /** Runs the benchmark with {@code args} and {@code --out page}. */
    static BenchRun of(Path page, String... args) throws IOException {
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        String[] all = Stream.concat(Arrays.stream(args), Stream.of("--out", page.toString())).toArray(String[]::new);
        int exit = Bench.run(all, new PrintStream(printed, true, StandardCharsets.UTF_8));
        String log = printed.toString(StandardCharsets.UTF_8);
        return new BenchRun(exit, log, Files.exists(page) ? Files.readString(page) : "");
    }

    /** Every row of the page, in order. */
    List<Row> rows() {
        return parse(page);
    }

    /** The rows of one scenario's section (between its markers); none when the page has no such section. */
    List<Row> rows(String scenario) {
        int start = page.indexOf("<!-- scenario:" + scenario + " -->");
        int end = page.indexOf("<!-- /scenario:" + scenario + " -->");
        return start < 0 || end < start ? List.of() : parse(page.substring(start, end));
    }

    private static List<Row> parse(String markdown) {
        return markdown.lines().map(ROW::matcher).filter(Matcher::matches).map(m -> new Row(m.group(1), m.group(2),
                Double.parseDouble(m.group(3)), Double.parseDouble(m.group(4)), Double.parseDouble(m.group(5))))
                .toList();
    }
}
