package ai.aegis.ingress;

import ai.aegis.http.ErrorHandling;
import ai.aegis.http.Listeners;
import ai.aegis.ingress.auth.LocalApiToken;
import ai.aegis.ingress.health.KafkaHealth;
import ai.aegis.schemas.topic.TopicCatalog;
import ai.aegis.topology.admin.TopicInstaller;
import ai.aegis.topology.kafka.DurablePublisher;
import ai.aegis.topology.kafka.KafkaSettings;
import ai.aegis.topology.lifecycle.Closer;
import ai.aegis.topology.tail.CatchUpReader;
import ai.aegis.topology.tail.TopicTail;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.HttpService;
import org.apache.kafka.clients.admin.Admin;

import java.nio.file.Path;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * The public HTTP API on one node: validates, writes to Kafka, answers once the write is durable, and serves reads
 * and streams from one shared tail of the topics. The routes themselves are {@link IngressRouting}'s; this class
 * only connects them to Kafka and a listener.
 */
public final class IngressServer implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(IngressServer.class.getName());

    private final WebServer server;
    private final LocalApiToken token;
    /** What {@link #close} releases: everything the start opened, newest first. */
    private final Closer resources;

    private IngressServer(WebServer server, LocalApiToken token, Closer resources) {
        this.server = server;
        this.token = token;
        this.resources = resources;
    }

    public static IngressServer start(IngressConfig config, KafkaSettings kafka) {
        return start(config, kafka, Map.of(), Map.of());
    }

    /**
     * Creates the Kafka clients, installs missing topics, waits (bounded) for the views to read them, and serves.
     * When a step fails, whatever the earlier steps created is closed again, last first, and the failure is thrown.
     *
     * @param extraRoutes routes of services composed into this node (the approval service's, under
     *                    {@code aegis up}), by path prefix; they sit behind the same authentication
     * @param components  readiness of services composed into this process, reported by {@code /health/ready}
     */
    public static IngressServer start(IngressConfig config, KafkaSettings kafka, Map<String, HttpService> extraRoutes,
                                      Map<String, BooleanSupplier> components) {
        TopicCatalog topics = kafka.topics();
        Closer opened = new Closer();
        try {
            Admin admin = Admin.create(kafka.admin());
            opened.add(() -> admin.close(config.shutdownGrace()));
            TopicInstaller.ensure(admin, topics.all(), kafka.replicationFactor(), config.topicInstallTimeout());

            IngressViews views = new IngressViews(topics, config.viewLimits());
            TopicTail tail = new TopicTail("ingress", kafka, views.topics(), views);
            opened.add(tail);
            tail.start();
            DurablePublisher publisher = new DurablePublisher(kafka, DurablePublisher.sourceOf("ingress"));
            opened.add(publisher);
            CatchUpReader history = opened.add(new CatchUpReader("ingress", kafka, config.catchUpReaders(),
                    config.catchUpQueue(), config.catchUpTimeout()));
            history.start();
            // Serve only once this node has read what the topics held, so that the first reads are not empty.
            if (!IngressRouting.awaitCaughtUp(tail, config.startCatchUpTimeout())) {
                LOG.log(System.Logger.Level.WARNING, "the ingress starts before its views have read the topics "
                        + "(Kafka slow or unreachable); reads may be incomplete until /health/ready says ready");
            }

            LocalApiToken token = null;
            if (config.authenticated()) {
                token = LocalApiToken.loadOrCreate(config.dataDir());
            } else {
                LOG.log(System.Logger.Level.WARNING, "AUTHENTICATION IS OFF (aegis.auth.mode=none): anyone who can "
                        + "reach port " + config.port() + " can deploy and run agents");
            }
            KafkaHealth kafkaHealth = new KafkaHealth(admin, config.kafkaHealthTimeout(), config.kafkaHealthCache());
            HttpRouting.Builder routing = HttpRouting.builder();
            new IngressRouting(config, topics, views, publisher, tail, history, kafkaHealth::up, token)
                    .routing(routing, extraRoutes, components);

            WebServer server = Listeners.start(WebServer.builder()
                    .maxPayloadSize(config.maxBodyBytes())
                    .directHandlers(ErrorHandling.directHandlers())
                    .shutdownGracePeriod(config.shutdownGrace())
                    .routing(routing), "the ingress", config.host(), config.port());
            opened.add(server::stop);
            return new IngressServer(server, token, opened);
        } catch (RuntimeException | Error e) {
            opened.closeAll(e);
            throw e;
        }
    }

    public int port() {
        return server.port();
    }

    /** The local API token file, or null when authentication is off. */
    public Path tokenFile() {
        return token == null ? null : token.file();
    }

    /** Stops the listener, then the catch-up reader, the publisher, the tail and the admin client. */
    @Override
    public void close() {
        resources.close();
    }
}
