package ai.aegis.testing;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.util.Arrays;

/**
 * Runs another main class ({@code args[0]}, with the remaining arguments) in a child process of a test, and ends
 * the process when the test's JVM is gone: the parent holds the write end of this process's standard input, so
 * end-of-file there means the parent died (a test JVM killed by a timeout or by hand leaves no broker behind,
 * holding ports and memory). The child must not read its standard input for anything else.
 */
public final class WhileParentLives {

    private WhileParentLives() {
    }

    public static void main(String[] args) throws Throwable {
        if (args.length == 0) {
            throw new IllegalArgumentException("usage: WhileParentLives <main class> [args...]");
        }
        Thread watch = new Thread(WhileParentLives::haltAtEndOfInput, "parent-watch");
        watch.setDaemon(true);
        watch.start();
        try {
            Class.forName(args[0]).getMethod("main", String[].class)
                    .invoke(null, (Object) Arrays.copyOfRange(args, 1, args.length));
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    private static void haltAtEndOfInput() {
        try (InputStream in = System.in) {
            while (in.read() >= 0) {
                // the parent writes nothing: only the end of the stream matters
            }
        } catch (IOException e) {
            // a broken pipe is the same news
        }
        // halt, not exit: shutdown hooks could block on peers that are gone too
        Runtime.getRuntime().halt(3);
    }
}
