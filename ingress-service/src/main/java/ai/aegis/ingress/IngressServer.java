package ai.aegis.ingress;

import ai.aegis.http.ErrorHandling;
import ai.aegis.http.Listeners;
import ai.aegis.ingress.auth.LocalApiToken;
import ai.aegis.ingress.deadletters.DeadLetterView;
import ai.aegis.ingress.health.KafkaHealth;
import ai.aegis.ingress.health.Readiness;
import ai.aegis.ingress.stream.StreamListener;
import ai.aegis.schemas.json.Json;
import ai.aegis.schemas.topic.TopicCatalog;
import ai.aegis.topology.admin.TopicInstaller;
import ai.aegis.topology.deadletter.DeadLetters;
import ai.aegis.topology.executions.ExecutionView;
import ai.aegis.topology.health.HealthCheck;
import ai.aegis.topology.kafka.DurablePublisher;
import ai.aegis.topology.kafka.KafkaSettings;
import ai.aegis.topology.lifecycle.Closer;
import ai.aegis.topology.readmodel.RocksViewArchive;
import ai.aegis.topology.tail.CatchUpReader;
import ai.aegis.topology.tail.TopicTail;
import ai.aegis.topology.workflow.WorkflowExecutionView;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.HttpRouting;
import org.apache.kafka.clients.admin.Admin;

import java.nio.file.Path;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The public HTTP API on one node: validates, writes to Kafka, answers once the write is durable, and serves reads
 * and streams from one shared tail of the topics. The routes themselves are {@link IngressRouting}'s; this class
 * only connects them to Kafka and a listener.
 */
public final class IngressServer implements AutoCloseable {

    /**
     * The socket write buffer of each connection (Helidon's default is 4 KiB). A response larger than it is written
     * in several calls, which costs little; every open event stream holding 4 KiB would cost 40 MiB per 10 000.
     */
    static final int WRITE_BUFFER_BYTES = 1024;


    private static final System.Logger LOG = System.getLogger(IngressServer.class.getName());

    /** The name of the node's tail of the topics its views fold (its dead letters are {@code ingress-tail}'s). */
    public static final String TAIL = "ingress";
    /** The node's tail of the stimulus replies (only those keyed by its node id are looked at). */
    public static final String STIMULUS_REPLY_TAIL = "stimulus-replies";
    /** The tail of the stimulus view (the latest stimuli and their outcomes). */
    public static final String STIMULI_TAIL = "stimuli";
    /** Logged at every start and shown in every readiness report while authentication is off. */
    public static final String NO_AUTH_WARNING = "AUTHENTICATION IS OFF (aegis.auth.mode=none, --insecure-no-auth): "
            + "anyone who can reach port %d can deploy and run agents";
    /** How readiness names the stream listener. */
    public static final String STREAM_LISTENER = "stream_listener";

    private final WebServer server;
    private final WebServer management;
    private final StreamListener streams;
    private final LocalApiToken token;
    /** What {@link #close} releases: everything the start opened, newest first. */
    private final Closer resources;

    private IngressServer(WebServer server, WebServer management, StreamListener streams, LocalApiToken token,
                          Closer resources) {
        this.server = server;
        this.management = management;
        this.streams = streams;
        this.token = token;
        this.resources = resources;
    }

    public static IngressServer start(IngressConfig config, KafkaSettings kafka) {
        return start(config, kafka, ComposedServices.none());
    }

    /**
     * Creates the Kafka clients, installs missing topics, waits (bounded) for the views to read them, and serves.
     * When a step fails, whatever the earlier steps created is closed again, last first, and the failure is thrown.
     *
     * @param composed the services composed into this process: their routes (the approval service's, under
     *                 {@code aegis up}), behind the same authentication; their health, reported by
     *                 {@code /health/ready} beside the node's own ({@code kafka} and its tails); their dead letter
     *                 counts, in {@code /metrics}
     */
    public static IngressServer start(IngressConfig config, KafkaSettings kafka, ComposedServices composed) {
        TopicCatalog topics = kafka.topics();
        Closer opened = new Closer();
        try {
            Admin admin = Admin.create(kafka.admin());
            opened.add(() -> admin.close(config.shutdownGrace()));
            TopicInstaller.ensure(admin, topics.all(), kafka.replicationFactor(), config.topicInstallTimeout());

            // Before the tails: they write their dead letters through it, and close before it.
            DurablePublisher publisher = new DurablePublisher(kafka, DurablePublisher.sourceOf("ingress"));
            opened.add(publisher);
            DeadLetters viewLetters = new DeadLetters(publisher, topics.deadLetters().name(),
                    TopicTail.consumerName(TAIL));
            // Before the tail, which writes into them; closed after it.
            Path archives = config.dataDir().resolve("views");
            RocksViewArchive<ExecutionView> executionArchive = opened.add(new RocksViewArchive<>(
                    archives.resolve(topics.prefix() + ".executions"), config.finishedRetention(), Clock.systemUTC(),
                    Json::writeBytes, bytes -> Json.read(bytes, ExecutionView.class)));
            RocksViewArchive<WorkflowExecutionView> runArchive = opened.add(new RocksViewArchive<>(
                    archives.resolve(topics.prefix() + ".workflow-runs"), config.finishedRetention(),
                    Clock.systemUTC(), Json::writeBytes, bytes -> Json.read(bytes, WorkflowExecutionView.class)));
            IngressViews views = new IngressViews(topics, config.viewLimits(), executionArchive, runArchive,
                    config.stimuliInView());
            TopicTail tail = new TopicTail(TAIL, kafka, views.topics(), views, viewLetters);
            opened.add(tail);
            tail.start();
            // The stimulus view holds only the latest stimuli: its tail reads only the latest records of its topics.
            DeadLetters stimulusLetters = new DeadLetters(publisher, topics.deadLetters().name(),
                    TopicTail.consumerName(STIMULI_TAIL));
            TopicTail stimuliTail = new TopicTail(STIMULI_TAIL, kafka, views.stimulusTopics(),
                    views::onStimulusRecord, stimulusLetters).withHistoryPerPartition(config.stimuliInView());
            opened.add(stimuliTail);
            stimuliTail.start();
            DeadLetterView deadLetters = new DeadLetterView(config.deadLettersInMemory());
            TopicTail deadLetterTail = new TopicTail(DeadLetterView.TAIL, kafka,
                    List.of(topics.deadLetters().name()), deadLetters, deadLetters.unreadableRecords());
            opened.add(deadLetterTail);
            deadLetterTail.start();
            CatchUpReader history = opened.add(new CatchUpReader(TAIL, kafka, config.catchUpReaders(),
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
                LOG.log(System.Logger.Level.WARNING, NO_AUTH_WARNING.formatted(config.port()));
            }
            Map<String, HealthCheck> components = new LinkedHashMap<>();
            components.put("kafka", new KafkaHealth(admin, config.kafkaHealthTimeout(), config.kafkaHealthCache()));
            components.put(TopicTail.healthName(TAIL), tail);
            components.put(TopicTail.healthName(DeadLetterView.TAIL), deadLetterTail);
            components.put(TopicTail.healthName(STIMULI_TAIL), stimuliTail);
            ai.aegis.ingress.auth.Authenticator auth = token == null ? null
                    : ai.aegis.ingress.auth.Authenticators.of(token, config.oidc().configured()
                    ? new ai.aegis.ingress.auth.OidcVerifier(config.oidc(), java.time.Clock.systemUTC()) : null);
            if (config.oidc().configured()) {
                LOG.log(System.Logger.Level.INFO, "OIDC access tokens accepted from "
                        + config.oidc().issuers().stream().map(ai.aegis.ingress.auth.OidcIssuer::issuer).toList()
                        + " (roles from " + config.oidc().rolesClaim() + "), besides the local API token");
            }
            IngressRouting ingress = new IngressRouting(config, topics, views, deadLetters, publisher, tail, history,
                    auth);
            try {
                ingress.applyConfiguredStimulusRoutes();
            } catch (ai.aegis.topology.kafka.DurablePublisher.UnavailableException e) {
                LOG.log(System.Logger.Level.WARNING, "the configured stimulus routes could not be written ("
                        + e.getMessage() + "); the next start writes them");
            }
            StreamListener streams = null;
            if (config.streamListener()) {
                streams = opened.add(StreamListener.start(config.host(), config.streamPort(), config.maxConnections(),
                        config.sseHeartbeat(), ingress.streamRoutes(), auth, ingress.awaitViews(), history,
                        ingress.metrics()));
                components.put(STREAM_LISTENER, streams);
            }
            // the answers to this node's stimulus calls, whichever node routed them
            DeadLetters replyLetters = new DeadLetters(publisher, topics.deadLetters().name(),
                    TopicTail.consumerName(STIMULUS_REPLY_TAIL));
            TopicTail replyTail = opened.add(new TopicTail(STIMULUS_REPLY_TAIL, kafka,
                    List.of(topics.stimulusReplies().name()), ingress.stimulusReplies()::onRecord, replyLetters));
            replyTail.start();
            components.put(TopicTail.healthName(STIMULUS_REPLY_TAIL), replyTail);
            components.putAll(composed.health()); // the node's own components first, then the composed services'
            Readiness readiness = new Readiness(components, config.authenticated() ? List.of()
                    : List.of(NO_AUTH_WARNING.formatted(config.port())));
            HttpRouting.Builder routing = HttpRouting.builder();
            ingress.routing(routing, withRoutesAndCounts(composed, viewLetters, replyLetters, stimulusLetters),
                    readiness);

            WebServer management = null;
            if (config.managementListener()) {
                HttpRouting.Builder managementRouting = HttpRouting.builder();
                ingress.managementRouting(managementRouting, readiness);
                management = Listeners.start(WebServer.builder()
                        .directHandlers(ErrorHandling.directHandlers())
                        .shutdownGracePeriod(config.shutdownGrace())
                        .routing(managementRouting), "the management listener", config.managementHost(),
                        config.managementPort());
                opened.add(management::stop);
            }
            WebServer server = Listeners.start(WebServer.builder()
                    .maxPayloadSize(config.maxBodyBytes())
                    .maxTcpConnections(config.maxConnections())
                    // each connection holds its write buffer for its life: an idle event stream too
                    .writeBufferSize(WRITE_BUFFER_BYTES)
                    .directHandlers(ErrorHandling.directHandlers())
                    .shutdownGracePeriod(config.shutdownGrace())
                    .routing(routing), "the ingress", config.host(), config.port());
            opened.add(server::stop);
            return new IngressServer(server, management, streams, token, opened);
        } catch (RuntimeException | Error e) {
            opened.closeAll(e);
            throw e;
        }
    }

    /** The composed services with the node's own dead letter count beside theirs. */
    private static ComposedServices withRoutesAndCounts(ComposedServices composed, DeadLetters own,
                                                        DeadLetters replies, DeadLetters stimuli) {
        ComposedServices.Builder b = ComposedServices.builder()
                .deadLetters(() -> Map.of(own.consumer(), own.written(), replies.consumer(), replies.written(),
                        stimuli.consumer(), stimuli.written()));
        composed.routes().forEach(b::route);
        composed.deadLetters().forEach(b::deadLetters);
        b.metrics(composed.metrics());
        return b.build();
    }

    public int port() {
        return server.port();
    }

    /** The management listener's port, when the configuration asks for one. */
    public java.util.OptionalInt managementPort() {
        return management == null ? java.util.OptionalInt.empty() : java.util.OptionalInt.of(management.port());
    }

    /** The stream listener's port, when the configuration asks for one ({@code stream-port}). */
    public java.util.OptionalInt streamPort() {
        return streams == null ? java.util.OptionalInt.empty() : java.util.OptionalInt.of(streams.port());
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
