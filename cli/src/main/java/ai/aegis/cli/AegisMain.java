package ai.aegis.cli;

import ai.aegis.cli.client.AgentCommands;
import ai.aegis.cli.client.ApprovalCommands;
import ai.aegis.cli.client.CliException;
import ai.aegis.cli.client.Context;
import ai.aegis.cli.client.EventCommands;
import ai.aegis.cli.client.StimulusCommands;
import ai.aegis.cli.client.TaskCommands;
import ai.aegis.cli.client.WorkflowCommands;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Properties;
import java.util.function.Function;

/**
 * The {@code aegis} command (picocli): the services ({@code up}, {@code ingress}, {@code worker}, {@code engine}),
 * {@code bench}, {@code login}/{@code token}/{@code logout}, the API client commands ({@code agent}, {@code task},
 * {@code workflow}, {@code approvals}, {@code events}, {@code stimulus}) and {@code completion}. docs/cli.md.
 *
 * <p>Exit codes: 0 success; 1 an API or other error (and a failed execution under {@code --follow}); 2 a usage
 * error; 3 a cancelled and 4 a timed-out execution under {@code --follow}; 130 interrupted.
 */
@Command(name = "aegis", mixinStandardHelpOptions = true, versionProvider = AegisMain.Version.class,
        description = "Aegis: an orchestrator for AI agents on Kafka.%n"
                + "Services: up (everything in one JVM), ingress, worker, engine. API client: agent, task, workflow, "
                + "approvals, events, stimulus (--server, token from --token-file, AEGIS_TOKEN, `aegis login`, "
                + "else <data-dir>/api-token). See docs/cli.md.",
        subcommands = {
                ServiceCommands.UpCommand.class, ServiceCommands.IngressCommand.class,
                ServiceCommands.WorkerCommand.class, ServiceCommands.EngineCommand.class,
                ServiceCommands.BenchCommand.class,
                LoginCommands.LoginCommand.class, LoginCommands.TokenCommand.class, LoginCommands.LogoutCommand.class,
                AgentCommands.class, TaskCommands.class, WorkflowCommands.class, ApprovalCommands.class,
                EventCommands.class, StimulusCommands.class,
                CompletionCommand.class, CommandLine.HelpCommand.class},
        footer = {"", "Exit codes: 0 ok, 1 API or other error (a failed execution with --follow), 2 usage error,",
                "3 cancelled, 4 timed out (--follow). `aegis test` runs the test suite (handled by the wrapper script)."})
public final class AegisMain {

    public static void main(String[] args) {
        Logging.configure();
        int code = run(args, System.out, System.err, System::getenv, true);
        if (code >= 0) {
            System.exit(code);
        }
    }

    /** @return an exit code, or -1 when a service keeps running until the JVM is stopped */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        return run(args, out, err, System::getenv, false);
    }

    /**
     * @param env      the environment (AEGIS_SERVER, AEGIS_TOKEN, AEGIS_DATA_DIR, TERM)
     * @param realTerminal whether {@code out} is the process's standard output (a terminal gets a live progress line)
     */
    public static int run(String[] args, PrintStream out, PrintStream err, Function<String, String> env,
                          boolean realTerminal) {
        Context context = new Context(out, err, env, realTerminal && Context.consoleIsTerminal());
        CommandLine cl = commandLine(context);
        if (args.length == 0) {
            cl.usage(out);
            return 2;
        }
        int code = cl.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    static CommandLine commandLine(Context context) {
        CommandLine.IFactory factory = new CommandLine.IFactory() {
            @Override
            public <K> K create(Class<K> cls) throws Exception {
                try {
                    java.lang.reflect.Constructor<K> withContext = cls.getDeclaredConstructor(Context.class);
                    withContext.setAccessible(true);
                    return withContext.newInstance(context);
                } catch (NoSuchMethodException e) {
                    return CommandLine.defaultFactory().create(cls);
                }
            }
        };
        CommandLine cl = new CommandLine(new AegisMain(), factory);
        cl.setOut(new PrintWriter(context.out(), true, StandardCharsets.UTF_8));
        cl.setErr(new PrintWriter(context.err(), true, StandardCharsets.UTF_8));
        cl.setParameterExceptionHandler((e, a) -> {
            PrintWriter w = e.getCommandLine().getErr();
            String message = e.getMessage();
            if (e instanceof CommandLine.UnmatchedArgumentException u && e.getCommandLine().getParent() == null
                    && !u.getUnmatched().isEmpty() && !u.getUnmatched().getFirst().startsWith("-")) {
                message = "unknown command '" + u.getUnmatched().getFirst() + "'";
            }
            w.println("aegis: " + message + " (see " + e.getCommandLine().getCommandSpec().qualifiedName()
                    + " --help)");
            w.flush();
            return 2;
        });
        cl.setExecutionExceptionHandler((e, c, parsed) -> {
            PrintWriter w = c.getErr();
            int code = 1;
            if (e instanceof CliException ce) {
                code = ce.exitCode();
            } else if (e instanceof IllegalArgumentException) {
                code = 2;
            } else if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
                code = 130;
            } else if (e instanceof UncheckedIOException u) {
                e = u.getCause();
            }
            if (code != 130) {
                w.println("aegis: " + (e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName()));
            }
            w.flush();
            return code;
        });
        return cl;
    }

    /** {@code aegis --version}: the project's version, from the build. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[]{"aegis " + version(), "Java " + Runtime.version()
                    + " (" + System.getProperty("java.vendor") + ")"};
        }

        static String version() {
            try (InputStream in = AegisMain.class.getResourceAsStream("version.properties")) {
                if (in == null) {
                    return "unknown";
                }
                Properties p = new Properties();
                p.load(in);
                return p.getProperty("version", "unknown");
            } catch (IOException e) {
                return "unknown";
            }
        }
    }
}
