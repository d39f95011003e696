package ai.aegis.cli;

import ai.aegis.cli.client.Context;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Unmatched;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * The service commands on picocli. The options are declared here (help, completion) and handed on to
 * {@link Options#parse} as before, which validates them exactly as it always did.
 */
final class ServiceCommands {

    private ServiceCommands() {
    }

    /** The options every service command takes (each a configuration key; {@link Options}). */
    static final class ServiceOptions {
        @Option(names = "--config", paramLabel = "FILE", description = "YAML configuration (also AEGIS_CONFIG)")
        String config;
        @Option(names = "--data-dir", paramLabel = "DIR",
                description = "data directory (default ~/.aegis; also AEGIS_DATA_DIR)")
        String dataDir;
        @Option(names = "--port", paramLabel = "N", description = "public API port (default 8080; also AEGIS_INGRESS_PORT)")
        String port;
        @Option(names = "--bootstrap-servers", paramLabel = "LIST",
                description = "use this Kafka cluster instead of the embedded broker")
        String bootstrapServers;
        @Option(names = "--internal-port", paramLabel = "N", description = "the worker's dispatch-gateway port (default 8081)")
        String internalPort;
        @Option(names = "--runtime", paramLabel = "NAME", description = "auto (default), docker, bubblewrap or process")
        String runtime;
        @Option(names = "--stream-port", paramLabel = "N",
                description = "also serve the event streams on this port, on non-blocking sockets (default: none)")
        String streamPort;
        @Option(names = "--insecure-no-auth",
                description = "no authentication at all (warned at every start); for a machine nobody else can reach")
        boolean insecureNoAuth;

        Options options() {
            return Options.parse(new Argv().option("--config", config).option("--data-dir", dataDir)
                    .option("--port", port).option("--bootstrap-servers", bootstrapServers)
                    .option("--internal-port", internalPort).option("--runtime", runtime)
                    .option("--stream-port", streamPort).flag("--insecure-no-auth", insecureNoAuth).toArray());
        }
    }

    abstract static class Service implements Callable<Integer> {
        final Context context;
        @Mixin
        ServiceOptions options;

        Service(Context context) {
            this.context = context;
        }
    }

    @Command(name = "up", mixinStandardHelpOptions = true, description = "Start everything in one JVM: an embedded "
            + "Kafka broker (unless --bootstrap-servers), the public API, an execution worker, the workflow engine "
            + "and the approval service.")
    static final class UpCommand extends Service {
        UpCommand(Context context) {
            super(context);
        }

        @Override
        public Integer call() {
            return Up.run(options.options(), context.out());
        }
    }

    @Command(name = "ingress", mixinStandardHelpOptions = true,
            description = "Run only the public API against a Kafka cluster.")
    static final class IngressCommand extends Service {
        IngressCommand(Context context) {
            super(context);
        }

        @Override
        public Integer call() {
            return Services.ingress(options.options(), context.out());
        }
    }

    @Command(name = "worker", mixinStandardHelpOptions = true,
            description = "Run only an execution worker against a Kafka cluster.")
    static final class WorkerCommand extends Service {
        WorkerCommand(Context context) {
            super(context);
        }

        @Override
        public Integer call() {
            return Services.worker(options.options(), context.out());
        }
    }

    @Command(name = "engine", mixinStandardHelpOptions = true,
            description = "Run only the workflow engine against a Kafka cluster.")
    static final class EngineCommand extends Service {
        EngineCommand(Context context) {
            super(context);
        }

        @Override
        public Integer call() {
            return Services.engine(options.options(), context.out());
        }
    }

    /** {@code aegis bench}: its options are its own ({@code aegis bench --help}); every argument is handed on. */
    @Command(name = "bench", description = {"Measure sandbox start latency per runtime and write docs/benchmarks.md;",
            "bench restart, bench --scenario ingress|sse|fanout|smcp|all. Options: aegis bench --help."})
    static final class BenchCommand implements Callable<Integer> {
        final Context context;
        @Unmatched
        List<String> args = new ArrayList<>();

        BenchCommand(Context context) {
            this.context = context;
        }

        @Override
        public Integer call() {
            return ai.aegis.cli.bench.Bench.run(args.toArray(String[]::new), context.out());
        }
    }
}
