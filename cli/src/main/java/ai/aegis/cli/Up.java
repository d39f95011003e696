package ai.aegis.cli;

import ai.aegis.topology.config.AegisConfigLoader;
import ai.aegis.worker.WorkerService;
import io.helidon.config.Config;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code aegis up}: the whole system in one JVM on embedded defaults: a real single-node Kafka broker (data under
 * the data directory, kept across restarts) unless a cluster is configured, one execution worker, the workflow
 * engine, the approval service, and the public API (which serves the approval routes too).
 */
final class Up {

    private Up() {
    }

    static int run(Options options, PrintStream out) {
        AegisSystem system = start(options, out);
        out.println("Press Ctrl-C to stop.");
        Services.awaitShutdown(system);
        out.println("Aegis stopped.");
        return -1;
    }

    static AegisSystem start(Options options, PrintStream out) {
        Map<String, String> overrides = new LinkedHashMap<>(options.overrides());
        // On a laptop with neither Docker nor bubblewrap, up still runs agents, unisolated and with a warning each.
        overrides.put("aegis.worker.allow-unsafe-process-runtime", "true");
        Config aegis = AegisConfigLoader.load(options.config(), System.getenv(), overrides).get("aegis");
        AegisSystem system = AegisSystem.start(AegisSystem.Options.builder(aegis).embeddedBroker(true).build());

        String kafkaNote = system.broker()
                .map(b -> "embedded broker " + b.bootstrapServers() + " (data in " + b.dataDir() + ")")
                .orElse("external cluster " + system.kafka().bootstrapServers());
        WorkerService worker = system.worker();
        out.println();
        out.println("Aegis is up: http://localhost:" + system.ingress().port());
        if (system.ingress().tokenFile() != null) {
            out.println("  API token:  " + system.ingress().tokenFile()
                    + "   (export AEGIS_TOKEN=$(cat " + system.ingress().tokenFile() + "))");
        }
        system.ingress().streamPort().ifPresent(p -> out.println("  Streams:    http://localhost:" + p
                + "   (the event streams only, on non-blocking sockets: --stream-port)"));
        out.println("  Kafka:      " + kafkaNote);
        out.println("  Worker:     runtime '" + worker.runtime().name() + "'"
                + (worker.runtime().isolates() ? "" : " (NO isolation: agents run as host processes)")
                + ", dispatch gateway on 127.0.0.1:" + worker.internalPort());
        out.println("  Workflows:  engine " + system.engine().applicationId() + ", approval service node "
                + system.approvals().nodeId() + " (routes under /v1/workflows and /v1/human-approvals)");
        out.println("  Models:     " + system.models().describe());
        return system;
    }
}
