package ai.aegis.cli;

import ai.aegis.cli.AegisSystem.Service;
import ai.aegis.topology.config.AegisConfigLoader;
import io.helidon.config.Config;

import java.io.PrintStream;
import java.util.EnumSet;
import java.util.concurrent.CountDownLatch;

/** The services run on their own, each as a separate process against an external Kafka cluster. */
final class Services {

    private Services() {
    }

    static int ingress(Options options, PrintStream out) {
        // The approval service is a Kafka Streams app whose instances scale with the ingress nodes that serve its
        // routes: each ingress process runs one.
        AegisSystem system = AegisSystem.start(AegisSystem.Options.builder(config(options))
                .services(Service.APPROVALS, Service.INGRESS).build());
        out.println("Aegis ingress on http://localhost:" + system.ingress().port() + " (Kafka "
                + system.kafka().bootstrapServers() + ")");
        if (system.ingress().tokenFile() != null) {
            out.println("API token: " + system.ingress().tokenFile());
        }
        awaitShutdown(system);
        return -1;
    }

    /** The workflow engine on its own (any number of instances: Kafka Streams spreads the runs over them). */
    static int engine(Options options, PrintStream out) {
        // A standalone engine whose Streams client died exits, so that its supervisor restarts it. The exit runs on
        // its own thread: the shutdown hooks close the engine, which the Streams thread must not wait for.
        AegisSystem system = AegisSystem.start(AegisSystem.Options.builder(config(options))
                .services(EnumSet.of(Service.WORKFLOW_ENGINE))
                .onEngineFailure(() -> Thread.ofPlatform().start(() -> {
                    System.err.println("aegis engine: the workflow engine stopped on an error; exiting");
                    System.exit(1);
                })).build());
        out.println("Aegis workflow engine up (Kafka " + system.kafka().bootstrapServers() + ", application id "
                + system.engine().applicationId() + ")");
        awaitShutdown(system);
        return -1;
    }

    static int worker(Options options, PrintStream out) {
        AegisSystem system = AegisSystem.start(AegisSystem.Options.builder(config(options))
                .services(EnumSet.of(Service.WORKER)).build());
        out.println("Aegis execution worker up (Kafka " + system.kafka().bootstrapServers() + ", dispatch gateway port "
                + system.worker().internalPort() + ")");
        out.println(system.models().describe());
        awaitShutdown(system);
        return -1;
    }

    private static Config config(Options options) {
        return AegisConfigLoader.load(options.config(), System.getenv(), options.overrides()).get("aegis");
    }

    /** Keeps the process alive until Ctrl-C, then closes the service. */
    static void awaitShutdown(AutoCloseable service) {
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                service.close();
            } catch (Exception ignored) {
                // shutting down anyway
            }
            stopped.countDown();
        }));
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
