package ai.aegis.cli.client;

import java.io.Console;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.util.function.Function;

/**
 * What every command runs with: where it prints, the environment it reads, and whether its output is a terminal
 * (a live progress line) or not (plain lines, never an escape code).
 */
public record Context(PrintStream out, PrintStream err, Function<String, String> env, boolean terminal) {

    /** Whether System.console() is an interactive terminal (JDK 22+ returns a console for redirected streams too). */
    public static boolean consoleIsTerminal() {
        Console console = System.console();
        if (console == null) {
            return false;
        }
        try {
            Method isTerminal = Console.class.getMethod("isTerminal"); // JDK 22+; the sources are Java 21
            return (Boolean) isTerminal.invoke(console);
        } catch (ReflectiveOperationException e) {
            return true; // JDK 21: a console exists only for an interactive terminal
        }
    }

    /** A live progress line: a terminal, not {@code --no-tty}, not {@code TERM=dumb}. */
    public boolean liveProgress(boolean noTty) {
        return terminal && !noTty && !"dumb".equals(env.apply("TERM"));
    }
}
