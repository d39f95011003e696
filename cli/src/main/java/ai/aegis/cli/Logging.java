package ai.aegis.cli;

import java.util.logging.ConsoleHandler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/** One-line console logging; Kafka's and Helidon's chatter at WARNING. */
final class Logging {

    // strong references: java.util.logging keeps loggers weakly, and a collected logger forgets its level
    private static final Logger[] QUIET = {
            Logger.getLogger("org.apache.kafka"), Logger.getLogger("kafka"), Logger.getLogger("state.change.logger"),
            Logger.getLogger("io.helidon")};

    private Logging() {
    }

    static void configure() {
        System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tT %4$-7s %3$s: %5$s%6$s%n");
        LogManager.getLogManager().reset();
        Logger root = Logger.getLogger("");
        ConsoleHandler handler = new ConsoleHandler();
        handler.setFormatter(new SimpleFormatter());
        handler.setLevel(Level.ALL);
        root.addHandler(handler);
        root.setLevel(Level.INFO);
        for (Logger l : QUIET) {
            l.setLevel(Level.WARNING);
        }
    }
}
