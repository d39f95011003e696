package ai.aegis.cli;

import java.util.ArrayList;
import java.util.List;

/**
 * The arguments picocli parsed, written back as {@code --name value} for the parsers that did the work before
 * picocli ({@link Options#parse}, {@link ai.aegis.cli.login.Login}) and still validate them.
 */
final class Argv {

    private final List<String> args = new ArrayList<>();

    /** {@code name value}, when the option was given. */
    Argv option(String name, String value) {
        if (value != null) {
            args.add(name);
            args.add(value);
        }
        return this;
    }

    /** {@code name}, when the flag was given. */
    Argv flag(String name, boolean given) {
        if (given) {
            args.add(name);
        }
        return this;
    }

    String[] toArray() {
        return args.toArray(String[]::new);
    }
}
