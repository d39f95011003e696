package ai.aegis.cli.client;

import ai.aegis.cli.AegisMain;
import ai.aegis.cli.TestSystem;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Runs {@code aegis} in-process as the launcher does ({@link AegisMain#run}), its output captured. */
final class Cli {

    record Result(int code, String out, String err) {
        List<String> lines() {
            return out.lines().toList();
        }
    }

    private Cli() {
    }

    /** {@code aegis ARGS} with an empty environment (no AEGIS_TOKEN, no AEGIS_SERVER). */
    static Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = AegisMain.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), Map.<String, String>of()::get, false);
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** {@code aegis ARGS --server <the system> --token-file <its token>}. */
    static Result against(TestSystem system, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--server", system.base, "--token-file", system.tokenFile().toString()));
        return run(all.toArray(String[]::new));
    }
}
