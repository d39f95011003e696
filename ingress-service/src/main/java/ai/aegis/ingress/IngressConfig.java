package ai.aegis.ingress;

import ai.aegis.topology.readmodel.EventReadModel;
import io.helidon.config.Config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * The ingress's settings ({@code aegis.ingress.*} and {@code aegis.auth.*}), built with {@link #builder()}, which
 * starts from the {@code DEFAULT_*} values below (the configuration reads through it, so they are written once):
 * <pre>
 * aegis.ingress:
 *   host: 0.0.0.0                         address the public API binds
 *   port: 8080                            0 picks a free one
 *   max-body-bytes: 1048576               larger request bodies are refused with 413
 *   sse-heartbeat-ms: 15000               keep-alive comment on an idle event stream
 *   max-executions-in-memory: 10000       finished executions (and workflow runs) each node's views keep in
 *                                         memory; older finished ones go to the on-disk archive
 *   finished-retention-ms: 86400000       how long the archive answers for a finished one (24 h)
 *   max-pending-executions: 10000         accepted, not started executions (all agents) past which POST
 *                                         /v1/executions answers 503 with Retry-After
 *   max-pending-per-agent: 2000           the same for one agent, answered 429
 *   max-connections: 16384                TCP connections the public listener holds at once (each open event
 *                                         stream is one); past it new ones wait in the accept backlog
 *   event-history-bytes: 67108864         event bytes each of the two views holds in memory (64 MiB)
 *   event-history-bytes-per-execution: 1048576   of those, for one execution (or workflow run)
 *   catch-up-readers: 2                   consumers that read events no longer in memory back for streams
 *   catch-up-queue: 64                    page requests that may wait for one of them
 *   catch-up-timeout-ms: 10000            how long a stream waits for a page of old events
 *   topic-install-timeout-ms: 60000       creating missing topics at start
 *   start-catch-up-timeout-ms: 30000      waiting at start for the views to read the topics before serving
 *   read-sync-timeout-ms: 5000            a read waiting for the views to have read the topics (after a start)
 *   read-your-writes-timeout-ms: 5000     a deploy or delete waiting for this node's view to show the write
 *   kafka-health-timeout-ms: 2000         /health/ready asking Kafka whether it answers
 *   kafka-health-cache-ms: 2000           how long that answer is reused
 *   shutdown-grace-ms: 2000               requests in flight finishing at stop
 *   dead-letters-in-memory: 1000          recent dead letters each node keeps for GET /v1/dead-letters
 *   management-port: -1                   a separate listener for /metrics and the probes; -1: none (/metrics
 *                                         is then served on the public port, behind the token); 0 picks a free one
 *   management-host: 127.0.0.1            the address it binds
 *   max-concurrent-requests: 512          public requests in flight (event streams and probes not counted); past
 *                                         it 503 with Retry-After: 1; 0: no limit
 *   concurrent-queue: 0                   requests that may wait for one of those; 0: refused at once
 *   concurrent-queue-timeout-ms: 1000     how long one of them waits before it is refused
 *   node-id: (a random UUID per process)  the key of the stimulus replies this node waits for
 *   stimulus-reply-timeout-ms: 35000      how long a stimulus or webhook waits for its routing; past it 503
 *                                         with Retry-After (the stimulus is durable and is routed anyway)
 *   stimuli-in-view: 10000                the latest stimuli each node shows (GET /v1/stimuli) and can replay
 *   stream-port: -1                       a second listener, on host, that serves only the event streams on
 *                                         non-blocking sockets (a few KiB per idle stream instead of ~21);
 *                                         -1: none; 0 picks a free one
 * aegis.stimuli:
 *   rate-limit-per-second: 1000           stimuli each source may send to one node per second; past it 429
 *   rate-limits: {}                       source -> its own rate (0: none)
 *   routes: {}                            source -> workflow: direct routes every start writes to the route
 *                                         table when it lacks them or holds another workflow for the source
 * aegis.auth:
 *   mode: local-token                     or none (no authentication, with a warning at every start)
 *   oidc:                                 identity providers whose access tokens are accepted too (OidcSettings)
 *     issuers: [{issuer, audience, jwks-uri, algorithms}]
 *     roles-claim: realm_access.roles     clock-skew-seconds: 30   cached-tokens: 10000   keys-ttl-seconds: 300
 * aegis.console:
 *   oidc: {issuer, client-id, scope}      the console's "Sign in with" (ConsoleOidcSettings); issuer: a trusted one
 * </pre>
 *
 * @param authMode              {@code local-token} (default) or {@code none} (logs a warning on every start)
 * @param dataDir               where the local API token lives
 * @param maxExecutionsInMemory finished executions (state and recent events) each node keeps in memory for reads and
 *                              streams; unfinished ones are bounded by {@code maxPendingExecutions} and the workers
 * @param finishedRetention     how long a finished execution or workflow run no longer in memory stays answerable
 *                              from the node's archive on disk ({@code <data-dir>/views})
 * @param maxPendingExecutions  executions accepted and not started yet, of all agents, past which new ones are
 *                              refused with 503 (the backlog is the workers', and growing it helps nobody)
 * @param maxPendingPerAgent    the same for one agent, refused with 429, so that one agent's flood leaves room
 *                              for the others
 * @param maxConnections        TCP connections the public listener holds at once: with the per-stream cost, what
 *                              bounds the memory that clients can take
 * @param eventHistoryBytes     event bytes each view (executions, workflow runs) keeps in memory; older events are
 *                              read back from the topic when a stream needs them
 * @param eventHistoryBytesPerExecution the same for one execution or workflow run
 * @param catchUpReaders        consumers of the node's {@code CatchUpReader}, shared by every stream
 * @param catchUpQueue          page requests waiting for a catch-up reader; past it a stream is refused at once
 * @param catchUpTimeout        how long a stream waits for a page of old events
 * @param deadLettersInMemory   the most recent dead letters each node keeps for {@code GET /v1/dead-letters}
 * @param managementPort        the management listener's port, or {@link #NO_MANAGEMENT_PORT}
 * @param maxConcurrentRequests requests the public listener serves at once, or {@link #UNLIMITED}; event streams
 *                              and the probes are not counted (a stream lasts as long as its client wants)
 * @param concurrentQueue       requests over that limit that wait for a place, at most
 *                              {@code concurrentQueueTimeout}; the others are refused at once with {@code 503}
 * @param nodeId                this process's id among the ingress nodes sharing the stimulus replies topic
 * @param stimulusReplyTimeout  how long a stimulus call waits for the routing's answer
 * @param stimuliInView         how many of the latest stimuli the node's view holds
 * @param oidc                  the identity providers whose access tokens are accepted besides the local token
 * @param consoleOidc           the console's OIDC login ({@code aegis.console.oidc}), or NONE: token login only
 * @param webhooks              the webhook sources' schemes and secrets ({@code aegis.webhooks})
 * @param stimulusRateLimit     stimuli per second each source may send to this node (0: no limit); past it 429
 * @param stimulusRateLimits    the same per source, overriding it
 * @param stimulusRoutes        configured direct routes (source, lower-cased, -> workflow name)
 * @param streamPort            the stream listener's port ({@code StreamListener}), or {@link #NO_STREAM_PORT};
 *                              it holds at most {@code maxConnections} connections of its own
 */
public record IngressConfig(String host, int port, long maxBodyBytes, Duration sseHeartbeat,
                            int maxExecutionsInMemory, long eventHistoryBytes, long eventHistoryBytesPerExecution,
                            int catchUpReaders, int catchUpQueue, Duration catchUpTimeout,
                            Duration readYourWrites, String authMode, Path dataDir,
                            Duration topicInstallTimeout, Duration startCatchUpTimeout, Duration readSyncTimeout,
                            Duration kafkaHealthTimeout, Duration kafkaHealthCache, Duration shutdownGrace,
                            int deadLettersInMemory, String managementHost, int managementPort,
                            Duration finishedRetention, int maxPendingExecutions, int maxPendingPerAgent,
                            int maxConcurrentRequests, int concurrentQueue, Duration concurrentQueueTimeout,
                            int maxConnections, int streamPort, java.util.Map<String, String> stimulusRoutes,
                            String nodeId, Duration stimulusReplyTimeout,
                            ai.aegis.ingress.webhook.WebhookConfig webhooks, int stimulusRateLimit,
                            java.util.Map<String, Integer> stimulusRateLimits, int stimuliInView,
                            ai.aegis.ingress.auth.OidcSettings oidc,
                            ai.aegis.ingress.console.ConsoleOidcSettings consoleOidc) {

    /** {@code aegis.auth.mode} without authentication. */
    public static final String AUTH_NONE = "none";
    public static final String AUTH_LOCAL_TOKEN = "local-token";

    public static final String DEFAULT_HOST = "0.0.0.0";
    public static final int DEFAULT_PORT = 8080;
    public static final long DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
    public static final Duration DEFAULT_SSE_HEARTBEAT = Duration.ofSeconds(15);
    public static final int DEFAULT_MAX_EXECUTIONS = 10_000;
    public static final long DEFAULT_EVENT_HISTORY_BYTES = 64L << 20;
    public static final long DEFAULT_EVENT_HISTORY_BYTES_PER_EXECUTION = 1L << 20;
    public static final int DEFAULT_CATCH_UP_READERS = 2;
    public static final int DEFAULT_CATCH_UP_QUEUE = 64;
    public static final Duration DEFAULT_CATCH_UP_TIMEOUT = Duration.ofSeconds(10);
    public static final Duration DEFAULT_READ_YOUR_WRITES = Duration.ofSeconds(5);
    public static final Duration DEFAULT_TOPIC_INSTALL_TIMEOUT = Duration.ofSeconds(60);
    public static final Duration DEFAULT_START_CATCH_UP_TIMEOUT = Duration.ofSeconds(30);
    public static final Duration DEFAULT_READ_SYNC_TIMEOUT = Duration.ofSeconds(5);
    public static final Duration DEFAULT_KAFKA_HEALTH_TIMEOUT = Duration.ofSeconds(2);
    public static final Duration DEFAULT_KAFKA_HEALTH_CACHE = Duration.ofSeconds(2);
    public static final Duration DEFAULT_SHUTDOWN_GRACE = Duration.ofSeconds(2);
    public static final int DEFAULT_DEAD_LETTERS_IN_MEMORY = 1000;
    /** {@code management-port} when there is no management listener. */
    public static final int NO_MANAGEMENT_PORT = -1;
    public static final String DEFAULT_MANAGEMENT_HOST = "127.0.0.1";
    /** Stimuli one source may send per second on one node (webhooks and POST /v1/stimuli alike). */
    public static final int DEFAULT_STIMULUS_RATE_LIMIT = 1000;
    /** Past the RouterAgent's default timeout (30 s), so that a classification can answer in time. */
    public static final Duration DEFAULT_STIMULUS_REPLY_TIMEOUT = Duration.ofSeconds(35);
    public static final int DEFAULT_STIMULI_IN_VIEW = 10_000;
    /** {@code stream-port} when there is no stream listener. */
    public static final int NO_STREAM_PORT = -1;
    public static final Duration DEFAULT_FINISHED_RETENTION = Duration.ofHours(24);
    public static final int DEFAULT_MAX_PENDING_EXECUTIONS = 10_000;
    public static final int DEFAULT_MAX_PENDING_PER_AGENT = 2_000;
    public static final int DEFAULT_MAX_CONNECTIONS = 16_384;
    /** {@code max-concurrent-requests} without a limit. */
    public static final int UNLIMITED = 0;
    /**
     * Enough for a node's normal load (a request holds its place only while it is served: milliseconds, or the few
     * seconds a write waits for Kafka), few enough that an overload is refused in a second rather than queued.
     */
    public static final int DEFAULT_MAX_CONCURRENT_REQUESTS = 512;
    public static final int DEFAULT_CONCURRENT_QUEUE = 0;
    public static final Duration DEFAULT_CONCURRENT_QUEUE_TIMEOUT = Duration.ofSeconds(1);

    public IngressConfig {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(sseHeartbeat, "sseHeartbeat");
        Objects.requireNonNull(authMode, "authMode");
        Objects.requireNonNull(dataDir, "dataDir");
        if (maxExecutionsInMemory < 1 || catchUpReaders < 1 || catchUpQueue < 1) {
            throw new IllegalArgumentException("aegis.ingress.max-executions-in-memory, catch-up-readers and "
                    + "catch-up-queue must be at least 1");
        }
        if (eventHistoryBytes < 0 || eventHistoryBytesPerExecution < 0) {
            throw new IllegalArgumentException("aegis.ingress.event-history-bytes and "
                    + "event-history-bytes-per-execution must not be negative");
        }
        positive("catch-up-timeout-ms", catchUpTimeout);
        positive("read-your-writes-timeout-ms", readYourWrites);
        positive("topic-install-timeout-ms", topicInstallTimeout);
        positive("start-catch-up-timeout-ms", startCatchUpTimeout);
        positive("read-sync-timeout-ms", readSyncTimeout);
        positive("kafka-health-timeout-ms", kafkaHealthTimeout);
        positive("kafka-health-cache-ms", kafkaHealthCache);
        positive("shutdown-grace-ms", shutdownGrace);
        Objects.requireNonNull(managementHost, "managementHost");
        if (deadLettersInMemory < 1) {
            throw new IllegalArgumentException("aegis.ingress.dead-letters-in-memory must be positive");
        }
        if (managementPort < NO_MANAGEMENT_PORT || managementPort > 65535) {
            throw new IllegalArgumentException("aegis.ingress.management-port must be -1 (none) or a port");
        }
        positive("finished-retention-ms", finishedRetention);
        if (maxPendingExecutions < 1 || maxPendingPerAgent < 1 || maxConnections < 1) {
            throw new IllegalArgumentException("aegis.ingress.max-pending-executions, max-pending-per-agent and max-connections must "
                    + "be at least 1");
        }
        if (maxConcurrentRequests < 0 || concurrentQueue < 0) {
            throw new IllegalArgumentException("aegis.ingress.max-concurrent-requests and concurrent-queue must not "
                    + "be negative (0: no limit, no queue)");
        }
        positive("concurrent-queue-timeout-ms", concurrentQueueTimeout);
        if (streamPort < NO_STREAM_PORT || streamPort > 65535) {
            throw new IllegalArgumentException("aegis.ingress.stream-port must be -1 (none) or a port");
        }
        java.util.Map<String, String> routes = new java.util.TreeMap<>();
        for (var route : Objects.requireNonNull(stimulusRoutes, "stimulusRoutes").entrySet()) {
            String source;
            try {
                source = ai.aegis.schemas.stimulus.StimulusSources.normalise(route.getKey());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("aegis.stimuli.routes." + route.getKey() + ": " + e.getMessage());
            }
            if (route.getValue() == null || route.getValue().isBlank()) {
                throw new IllegalArgumentException("aegis.stimuli.routes." + route.getKey() + " names no workflow");
            }
            routes.put(source, route.getValue().trim());
        }
        stimulusRoutes = java.util.Collections.unmodifiableMap(routes);
        if (nodeId == null || nodeId.isBlank()) {
            throw new IllegalArgumentException("aegis.ingress.node-id must not be blank");
        }
        positive("stimulus-reply-timeout-ms", stimulusReplyTimeout);
        Objects.requireNonNull(oidc, "oidc");
        Objects.requireNonNull(consoleOidc, "consoleOidc");
        // the console's tokens are checked as the API's are: an issuer the API does not trust would log nobody in
        if (consoleOidc.configured() && oidc.issuers().stream().noneMatch(i -> consoleOidc.sameIssuer(i.issuer()))) {
            throw new IllegalArgumentException("aegis.console.oidc.issuer " + consoleOidc.issuer()
                    + " is not one of aegis.auth.oidc.issuers");
        }
        if (stimuliInView < 1) {
            throw new IllegalArgumentException("aegis.ingress.stimuli-in-view must be at least 1");
        }
        Objects.requireNonNull(webhooks, "webhooks");
        if (stimulusRateLimit < 0) {
            throw new IllegalArgumentException("aegis.stimuli.rate-limit-per-second must not be negative (0: none)");
        }
        java.util.Map<String, Integer> limits = new java.util.TreeMap<>();
        for (var limit : Objects.requireNonNull(stimulusRateLimits, "stimulusRateLimits").entrySet()) {
            if (limit.getValue() == null || limit.getValue() < 0) {
                throw new IllegalArgumentException("aegis.stimuli.rate-limits." + limit.getKey()
                        + " must not be negative (0: none)");
            }
            limits.put(ai.aegis.schemas.stimulus.StimulusSources.normalise(limit.getKey()), limit.getValue());
        }
        stimulusRateLimits = java.util.Collections.unmodifiableMap(limits);
    }

    /** Every default; {@code dataDir} has none and must be set. */
    public static Builder builder() {
        return new Builder();
    }

    /** @param aegis the {@code aegis} node (any key may be missing: its default applies) */
    public static IngressConfig from(Config aegis, Path dataDir) {
        Config in = aegis.get("ingress");
        Builder b = builder().dataDir(dataDir);
        in.get("host").asString().ifPresent(b::host);
        in.get("port").asInt().ifPresent(b::port);
        in.get("max-body-bytes").asLong().ifPresent(b::maxBodyBytes);
        millis(in, "sse-heartbeat-ms").ifPresent(b::sseHeartbeat);
        in.get("max-executions-in-memory").asInt().ifPresent(b::maxExecutionsInMemory);
        in.get("event-history-bytes").asLong().ifPresent(b::eventHistoryBytes);
        in.get("event-history-bytes-per-execution").asLong().ifPresent(b::eventHistoryBytesPerExecution);
        in.get("catch-up-readers").asInt().ifPresent(b::catchUpReaders);
        in.get("catch-up-queue").asInt().ifPresent(b::catchUpQueue);
        millis(in, "catch-up-timeout-ms").ifPresent(b::catchUpTimeout);
        millis(in, "read-your-writes-timeout-ms").ifPresent(b::readYourWrites);
        millis(in, "topic-install-timeout-ms").ifPresent(b::topicInstallTimeout);
        millis(in, "start-catch-up-timeout-ms").ifPresent(b::startCatchUpTimeout);
        millis(in, "read-sync-timeout-ms").ifPresent(b::readSyncTimeout);
        millis(in, "kafka-health-timeout-ms").ifPresent(b::kafkaHealthTimeout);
        millis(in, "kafka-health-cache-ms").ifPresent(b::kafkaHealthCache);
        millis(in, "shutdown-grace-ms").ifPresent(b::shutdownGrace);
        in.get("dead-letters-in-memory").asInt().ifPresent(b::deadLettersInMemory);
        in.get("management-host").asString().ifPresent(b::managementHost);
        in.get("management-port").asInt().ifPresent(b::managementPort);
        millis(in, "finished-retention-ms").ifPresent(b::finishedRetention);
        in.get("max-pending-executions").asInt().ifPresent(b::maxPendingExecutions);
        in.get("max-pending-per-agent").asInt().ifPresent(b::maxPendingPerAgent);
        in.get("max-connections").asInt().ifPresent(b::maxConnections);
        in.get("max-concurrent-requests").asInt().ifPresent(b::maxConcurrentRequests);
        in.get("concurrent-queue").asInt().ifPresent(b::concurrentQueue);
        millis(in, "concurrent-queue-timeout-ms").ifPresent(b::concurrentQueueTimeout);
        in.get("stream-port").asInt().ifPresent(b::streamPort);
        in.get("node-id").asString().ifPresent(b::nodeId);
        millis(in, "stimulus-reply-timeout-ms").ifPresent(b::stimulusReplyTimeout);
        in.get("stimuli-in-view").asInt().ifPresent(b::stimuliInView);
        b.oidc(ai.aegis.ingress.auth.OidcSettings.read(aegis.get("auth.oidc")));
        b.consoleOidc(ai.aegis.ingress.console.ConsoleOidcSettings.read(aegis.get("console.oidc")));
        b.webhooks(ai.aegis.ingress.webhook.WebhookConfig.from(aegis));
        aegis.get("stimuli.rate-limit-per-second").asInt().ifPresent(b::stimulusRateLimit);
        java.util.Map<String, Integer> limits = new java.util.HashMap<>();
        aegis.get("stimuli.rate-limits").detach().asMap().orElse(java.util.Map.of())
                .forEach((source, rate) -> limits.put(source, Integer.parseInt(rate.trim())));
        b.stimulusRateLimits(limits);
        aegis.get("stimuli.routes").detach().asMap().ifPresent(b::stimulusRoutes);
        aegis.get("auth.mode").asString().ifPresent(b::authMode);
        return b.build();
    }

    /** A builder holding these settings, to change some of them. */
    public Builder toBuilder() {
        return new Builder()
                .host(host)
                .port(port)
                .maxBodyBytes(maxBodyBytes)
                .sseHeartbeat(sseHeartbeat)
                .maxExecutionsInMemory(maxExecutionsInMemory)
                .eventHistoryBytes(eventHistoryBytes)
                .eventHistoryBytesPerExecution(eventHistoryBytesPerExecution)
                .catchUpReaders(catchUpReaders)
                .catchUpQueue(catchUpQueue)
                .catchUpTimeout(catchUpTimeout)
                .readYourWrites(readYourWrites)
                .authMode(authMode)
                .dataDir(dataDir)
                .topicInstallTimeout(topicInstallTimeout)
                .startCatchUpTimeout(startCatchUpTimeout)
                .readSyncTimeout(readSyncTimeout)
                .kafkaHealthTimeout(kafkaHealthTimeout)
                .kafkaHealthCache(kafkaHealthCache)
                .shutdownGrace(shutdownGrace)
                .deadLettersInMemory(deadLettersInMemory)
                .managementHost(managementHost)
                .managementPort(managementPort)
                .finishedRetention(finishedRetention)
                .maxPendingExecutions(maxPendingExecutions)
                .maxPendingPerAgent(maxPendingPerAgent)
                .maxConnections(maxConnections)
                .maxConcurrentRequests(maxConcurrentRequests)
                .concurrentQueue(concurrentQueue)
                .concurrentQueueTimeout(concurrentQueueTimeout)
                .streamPort(streamPort)
                .stimulusRoutes(stimulusRoutes)
                .nodeId(nodeId)
                .stimulusReplyTimeout(stimulusReplyTimeout)
                .webhooks(webhooks)
                .stimulusRateLimit(stimulusRateLimit)
                .stimulusRateLimits(stimulusRateLimits)
                .stimuliInView(stimuliInView)
                .oidc(oidc)
                .consoleOidc(consoleOidc);
    }

    public IngressConfig withPort(int newPort) {
        return toBuilder().port(newPort).build();
    }

    /** What each of the node's two views (executions, workflow runs) may hold. */
    public EventReadModel.Limits viewLimits() {
        return new EventReadModel.Limits(maxExecutionsInMemory, eventHistoryBytes, eventHistoryBytesPerExecution);
    }

    /** True when {@code /metrics} and the probes also have a listener of their own. */
    public boolean managementListener() {
        return managementPort != NO_MANAGEMENT_PORT;
    }

    /** Whether the node serves event streams on a listener of their own ({@code stream-port}). */
    public boolean streamListener() {
        return streamPort != NO_STREAM_PORT;
    }

    /** True when the public listener limits the requests it serves at once. */
    public boolean concurrencyLimited() {
        return maxConcurrentRequests != UNLIMITED;
    }

    /** True unless {@code aegis.auth.mode} is {@code none}. */
    public boolean authenticated() {
        return !AUTH_NONE.equals(authMode);
    }

    private static java.util.Optional<Duration> millis(Config node, String key) {
        return node.get(key).asLong().asOptional().map(Duration::ofMillis);
    }

    private static void positive(String key, Duration d) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException("aegis.ingress." + key + " must be positive");
        }
    }

    /** Starts from every default; only {@code dataDir} has none. */
    public static final class Builder {

        private String host = DEFAULT_HOST;
        private int port = DEFAULT_PORT;
        private long maxBodyBytes = DEFAULT_MAX_BODY_BYTES;
        private Duration sseHeartbeat = DEFAULT_SSE_HEARTBEAT;
        private int maxExecutionsInMemory = DEFAULT_MAX_EXECUTIONS;
        private long eventHistoryBytes = DEFAULT_EVENT_HISTORY_BYTES;
        private long eventHistoryBytesPerExecution = DEFAULT_EVENT_HISTORY_BYTES_PER_EXECUTION;
        private int catchUpReaders = DEFAULT_CATCH_UP_READERS;
        private int catchUpQueue = DEFAULT_CATCH_UP_QUEUE;
        private Duration catchUpTimeout = DEFAULT_CATCH_UP_TIMEOUT;
        private Duration readYourWrites = DEFAULT_READ_YOUR_WRITES;
        private String authMode = AUTH_LOCAL_TOKEN;
        private Path dataDir;
        private Duration topicInstallTimeout = DEFAULT_TOPIC_INSTALL_TIMEOUT;
        private Duration startCatchUpTimeout = DEFAULT_START_CATCH_UP_TIMEOUT;
        private Duration readSyncTimeout = DEFAULT_READ_SYNC_TIMEOUT;
        private Duration kafkaHealthTimeout = DEFAULT_KAFKA_HEALTH_TIMEOUT;
        private Duration kafkaHealthCache = DEFAULT_KAFKA_HEALTH_CACHE;
        private Duration shutdownGrace = DEFAULT_SHUTDOWN_GRACE;
        private int deadLettersInMemory = DEFAULT_DEAD_LETTERS_IN_MEMORY;
        private String managementHost = DEFAULT_MANAGEMENT_HOST;
        private int managementPort = NO_MANAGEMENT_PORT;
        private int streamPort = NO_STREAM_PORT;
        private java.util.Map<String, String> stimulusRoutes = java.util.Map.of();
        private String nodeId = java.util.UUID.randomUUID().toString();
        private int stimulusRateLimit = DEFAULT_STIMULUS_RATE_LIMIT;
        private java.util.Map<String, Integer> stimulusRateLimits = java.util.Map.of();
        private Duration stimulusReplyTimeout = DEFAULT_STIMULUS_REPLY_TIMEOUT;
        private int stimuliInView = DEFAULT_STIMULI_IN_VIEW;
        private ai.aegis.ingress.auth.OidcSettings oidc = ai.aegis.ingress.auth.OidcSettings.NONE;
        private ai.aegis.ingress.console.ConsoleOidcSettings consoleOidc =
                ai.aegis.ingress.console.ConsoleOidcSettings.NONE;
        private ai.aegis.ingress.webhook.WebhookConfig webhooks = ai.aegis.ingress.webhook.WebhookConfig.builder()
                .build();
        private Duration finishedRetention = DEFAULT_FINISHED_RETENTION;
        private int maxPendingExecutions = DEFAULT_MAX_PENDING_EXECUTIONS;
        private int maxPendingPerAgent = DEFAULT_MAX_PENDING_PER_AGENT;
        private int maxConnections = DEFAULT_MAX_CONNECTIONS;
        private int maxConcurrentRequests = DEFAULT_MAX_CONCURRENT_REQUESTS;
        private int concurrentQueue = DEFAULT_CONCURRENT_QUEUE;
        private Duration concurrentQueueTimeout = DEFAULT_CONCURRENT_QUEUE_TIMEOUT;

        private Builder() {
        }

        public Builder host(String host) {
            this.host = host;
            return this;
        }

        public Builder port(int port) {
            this.port = port;
            return this;
        }

        public Builder maxBodyBytes(long maxBodyBytes) {
            this.maxBodyBytes = maxBodyBytes;
            return this;
        }

        public Builder sseHeartbeat(Duration sseHeartbeat) {
            this.sseHeartbeat = sseHeartbeat;
            return this;
        }

        public Builder maxExecutionsInMemory(int maxExecutionsInMemory) {
            this.maxExecutionsInMemory = maxExecutionsInMemory;
            return this;
        }

        public Builder eventHistoryBytes(long eventHistoryBytes) {
            this.eventHistoryBytes = eventHistoryBytes;
            return this;
        }

        public Builder eventHistoryBytesPerExecution(long eventHistoryBytesPerExecution) {
            this.eventHistoryBytesPerExecution = eventHistoryBytesPerExecution;
            return this;
        }

        public Builder catchUpReaders(int catchUpReaders) {
            this.catchUpReaders = catchUpReaders;
            return this;
        }

        public Builder catchUpQueue(int catchUpQueue) {
            this.catchUpQueue = catchUpQueue;
            return this;
        }

        public Builder catchUpTimeout(Duration catchUpTimeout) {
            this.catchUpTimeout = catchUpTimeout;
            return this;
        }

        public Builder readYourWrites(Duration readYourWrites) {
            this.readYourWrites = readYourWrites;
            return this;
        }

        public Builder authMode(String authMode) {
            this.authMode = authMode;
            return this;
        }

        public Builder dataDir(Path dataDir) {
            this.dataDir = dataDir;
            return this;
        }

        public Builder topicInstallTimeout(Duration topicInstallTimeout) {
            this.topicInstallTimeout = topicInstallTimeout;
            return this;
        }

        public Builder startCatchUpTimeout(Duration startCatchUpTimeout) {
            this.startCatchUpTimeout = startCatchUpTimeout;
            return this;
        }

        public Builder readSyncTimeout(Duration readSyncTimeout) {
            this.readSyncTimeout = readSyncTimeout;
            return this;
        }

        public Builder kafkaHealthTimeout(Duration kafkaHealthTimeout) {
            this.kafkaHealthTimeout = kafkaHealthTimeout;
            return this;
        }

        public Builder kafkaHealthCache(Duration kafkaHealthCache) {
            this.kafkaHealthCache = kafkaHealthCache;
            return this;
        }

        public Builder shutdownGrace(Duration shutdownGrace) {
            this.shutdownGrace = shutdownGrace;
            return this;
        }

        public Builder deadLettersInMemory(int deadLettersInMemory) {
            this.deadLettersInMemory = deadLettersInMemory;
            return this;
        }

        public Builder managementHost(String managementHost) {
            this.managementHost = managementHost;
            return this;
        }

        public Builder stimulusRateLimit(int perSecond) {
            this.stimulusRateLimit = perSecond;
            return this;
        }

        public Builder stimulusRateLimits(java.util.Map<String, Integer> perSource) {
            this.stimulusRateLimits = java.util.Map.copyOf(perSource);
            return this;
        }

        public Builder webhooks(ai.aegis.ingress.webhook.WebhookConfig webhooks) {
            this.webhooks = webhooks;
            return this;
        }

        public Builder nodeId(String nodeId) {
            this.nodeId = nodeId;
            return this;
        }

        public Builder stimulusReplyTimeout(Duration stimulusReplyTimeout) {
            this.stimulusReplyTimeout = stimulusReplyTimeout;
            return this;
        }

        public Builder stimuliInView(int stimuliInView) {
            this.stimuliInView = stimuliInView;
            return this;
        }

        public Builder oidc(ai.aegis.ingress.auth.OidcSettings oidc) {
            this.oidc = oidc;
            return this;
        }

        public Builder consoleOidc(ai.aegis.ingress.console.ConsoleOidcSettings consoleOidc) {
            this.consoleOidc = consoleOidc;
            return this;
        }

        public Builder stimulusRoutes(java.util.Map<String, String> stimulusRoutes) {
            this.stimulusRoutes = java.util.Map.copyOf(stimulusRoutes);
            return this;
        }

        public Builder streamPort(int streamPort) {
            this.streamPort = streamPort;
            return this;
        }

        public Builder managementPort(int managementPort) {
            this.managementPort = managementPort;
            return this;
        }

        public Builder finishedRetention(Duration finishedRetention) {
            this.finishedRetention = finishedRetention;
            return this;
        }

        public Builder maxPendingExecutions(int maxPendingExecutions) {
            this.maxPendingExecutions = maxPendingExecutions;
            return this;
        }

        public Builder maxPendingPerAgent(int maxPendingPerAgent) {
            this.maxPendingPerAgent = maxPendingPerAgent;
            return this;
        }

        public Builder maxConnections(int maxConnections) {
            this.maxConnections = maxConnections;
            return this;
        }

        public Builder maxConcurrentRequests(int maxConcurrentRequests) {
            this.maxConcurrentRequests = maxConcurrentRequests;
            return this;
        }

        public Builder concurrentQueue(int concurrentQueue) {
            this.concurrentQueue = concurrentQueue;
            return this;
        }

        public Builder concurrentQueueTimeout(Duration concurrentQueueTimeout) {
            this.concurrentQueueTimeout = concurrentQueueTimeout;
            return this;
        }

        public IngressConfig build() {
            return new IngressConfig(host, port, maxBodyBytes, sseHeartbeat, maxExecutionsInMemory,
                    eventHistoryBytes, eventHistoryBytesPerExecution, catchUpReaders, catchUpQueue, catchUpTimeout,
                    readYourWrites, authMode, dataDir, topicInstallTimeout, startCatchUpTimeout, readSyncTimeout,
                    kafkaHealthTimeout, kafkaHealthCache, shutdownGrace, deadLettersInMemory, managementHost,
                    managementPort, finishedRetention, maxPendingExecutions, maxPendingPerAgent,
                    maxConcurrentRequests, concurrentQueue, concurrentQueueTimeout, maxConnections, streamPort, stimulusRoutes, nodeId, stimulusReplyTimeout, webhooks,
                    stimulusRateLimit, stimulusRateLimits, stimuliInView, oidc, consoleOidc);
        }
    }
}
