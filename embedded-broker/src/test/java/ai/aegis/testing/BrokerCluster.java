package ai.aegis.testing;

import ai.aegis.broker.EmbeddedKafkaBroker;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.Uuid;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A real Kafka cluster for failure tests: one KRaft controller and {@code n} brokers, each a separate JVM process
 * on loopback running Kafka's own entry point ({@code kafka.Kafka server.properties}) on storage formatted by
 * Kafka's own {@code kafka.tools.StorageTool format}, with the test's class path (the production classes the
 * embedded broker uses). A broker can be killed with SIGKILL, stopped (SIGTERM: controlled shutdown), frozen with
 * SIGSTOP and started again on its own data and ports, while clients keep their bootstrap address.
 *
 * <p>Why the controller is a process of its own: the cases here take brokers away, and with the controller quorum
 * on the same nodes, losing two of three brokers would also lose the quorum; the partitions' leaders and in-sync
 * sets could then no longer change at all, which is a different failure from the one under test (too few
 * replicas). Production clusters run their controllers apart for the same reason.
 *
 * <p>The brokers keep Kafka's defaults where the durability of Aegis depends on them, on purpose:
 * {@code min.insync.replicas} 1 and {@code default.replication.factor} 1 as on a cluster nobody tuned, so a test
 * shows what the topics Aegis creates bring themselves; internal topics replicated 3 times (transaction state with
 * min ISR 2); unclean leader election off; failure detection at its defaults (a broker that stops heartbeating is
 * fenced after {@code broker.session.timeout.ms}, 9 s). Only sizes are smaller (5 partitions for the internal
 * topics, fewer threads) so that three brokers fit on a small machine.
 */
public final class BrokerCluster implements AutoCloseable {

    public static final int CONTROLLER_ID = 0;
    /** Starting JVMs on a loaded two-core machine takes a while; this is a bound, not an expectation. */
    public static final Duration START_TIMEOUT = Duration.ofSeconds(180);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration POLL = Duration.ofMillis(250);
    private static final String HOST = "127.0.0.1";
    private static final List<String> JVM_OPTIONS = List.of("-Xms64m", "-Xmx384m", "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1", "-XX:+ExitOnOutOfMemoryError", "-XX:-UsePerfData",
            "--enable-native-access=ALL-UNNAMED");

    /** One process of the cluster; its process is replaced when it is started again. */
    private static final class Member {
        final int id;
        final boolean controller;
        final int port;
        final Path home;
        Process process;
        boolean paused;

        Member(int id, boolean controller, int port, Path home) {
            this.id = id;
            this.controller = controller;
            this.port = port;
            this.home = home;
        }

        Path properties() {
            return home.resolve("server.properties");
        }

        Path log() {
            return home.resolve("server.log");
        }

        boolean running() {
            return process != null && process.isAlive();
        }
    }

    private final Path dir;
    private final Member controller;
    private final Map<Integer, Member> brokers;
    private final Admin admin;

    private BrokerCluster(Path dir, Member controller, Map<Integer, Member> brokers) {
        this.dir = dir;
        this.controller = controller;
        this.brokers = brokers;
        this.admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000,
                AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 1_000));
    }

    /** Formats and starts a controller and {@code brokers} brokers under {@code dir}; returns when all serve. */
    public static BrokerCluster start(Path dir, int brokers) {
        return start(dir, brokers, Map.of());
    }

    /**
     * @param brokerProperties broker settings that replace the ones described in the class comment
     */
    public static BrokerCluster start(Path dir, int brokers, Map<String, String> brokerProperties) {
        if (brokers < 1) {
            throw new IllegalArgumentException("a cluster needs at least one broker: " + brokers);
        }
        Path root = dir.toAbsolutePath();
        int[] ports = freePorts(brokers + 1);
        Member controller = new Member(CONTROLLER_ID, true, ports[0], root.resolve("controller"));
        Map<Integer, Member> members = new LinkedHashMap<>();
        for (int id = 1; id <= brokers; id++) {
            members.put(id, new Member(id, false, ports[id], root.resolve("broker-" + id)));
        }
        String clusterId = Uuid.randomUuid().toString();
        try {
            Files.createDirectories(root);
            Files.writeString(root.resolve("logging.properties"), LOGGING);
            writeAndFormat(controller, controllerProperties(controller), clusterId);
            for (Member broker : members.values()) {
                writeAndFormat(broker, brokerProperties(broker, controller, brokerProperties), clusterId);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare the cluster under " + root, e);
        }
        BrokerCluster cluster = new BrokerCluster(root, controller, members);
        try {
            cluster.launch(controller);
            members.values().forEach(cluster::launch);
            cluster.awaitReady(START_TIMEOUT);
            return cluster;
        } catch (RuntimeException e) {
            cluster.close();
            throw e;
        }
    }

    /** Every broker's address, {@code 127.0.0.1:p1,127.0.0.1:p2,...}: clients find the live ones among them. */
    public String bootstrapServers() {
        return brokers.values().stream().map(b -> HOST + ":" + b.port).collect(Collectors.joining(","));
    }

    public List<Integer> brokerIds() {
        return List.copyOf(brokers.keySet());
    }

    /** An admin client of the cluster, owned by it (do not close it). */
    public Admin admin() {
        return admin;
    }

    public Path dir() {
        return dir;
    }

    public synchronized boolean isRunning(int brokerId) {
        return broker(brokerId).running();
    }

    /** The operating-system process of a running broker (to signal it, or watch it). */
    public synchronized ProcessHandle process(int brokerId) {
        Member b = broker(brokerId);
        if (!b.running()) {
            throw new IllegalStateException("broker " + brokerId + " is not running");
        }
        return b.process.toHandle();
    }

    /** SIGKILL: the broker vanishes mid-write, with no controlled shutdown; returns once the process is gone. */
    public synchronized void kill(int brokerId) {
        Member b = runningBroker(brokerId);
        Signals.kill(b.process.toHandle());
        b.paused = false;
    }

    /** SIGTERM: a controlled shutdown (leadership moves away first); returns once the process has exited. */
    public synchronized void stop(int brokerId) {
        Member b = runningBroker(brokerId);
        if (b.paused) {
            Signals.resume(b.process.toHandle());
            b.paused = false;
        }
        b.process.destroy();
        try {
            if (!b.process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                Signals.kill(b.process.toHandle());
                throw new IllegalStateException("broker " + brokerId + " did not stop within "
                        + STOP_TIMEOUT.toSeconds() + " s and was killed; its log ends:\n" + logTail(brokerId, 40));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while stopping broker " + brokerId, e);
        }
    }

    /** SIGSTOP: the broker freezes with its connections open (to clients it is slow, not gone). */
    public synchronized void pause(int brokerId) {
        Member b = runningBroker(brokerId);
        Signals.pause(b.process.toHandle());
        b.paused = true;
    }

    public synchronized void resume(int brokerId) {
        Member b = runningBroker(brokerId);
        Signals.resume(b.process.toHandle());
        b.paused = false;
    }

    /** Starts a stopped or killed broker again on its data and ports, and waits until the controller has it. */
    public void start(int brokerId) {
        synchronized (this) {
            Member b = broker(brokerId);
            if (b.running()) {
                throw new IllegalStateException("broker " + brokerId + " is already running");
            }
            launch(b);
        }
        awaitCondition("broker " + brokerId + " unfenced", START_TIMEOUT, () -> {
            failIfExited(broker(brokerId));
            assertThat(unfencedBrokers()).as("unfenced brokers").contains(brokerId);
        });
    }

    /**
     * Back to a whole cluster: starts the brokers that are down, resumes the paused ones, and waits until every
     * broker serves and every partition of every topic has all its replicas in sync.
     */
    public void heal(Duration within) {
        synchronized (this) {
            if (!controller.running()) {
                launch(controller);
            }
            for (Member b : brokers.values()) {
                if (b.paused && b.running()) {
                    Signals.resume(b.process.toHandle());
                    b.paused = false;
                }
                if (!b.running()) {
                    launch(b);
                }
            }
        }
        awaitReady(within);
        awaitInSync(within);
    }

    /** Waits until the controller has every running broker registered and unfenced. */
    public void awaitUnfenced(Duration within) {
        awaitCondition("running brokers unfenced", within, () -> assertThat(unfencedBrokers())
                .as("unfenced brokers").containsExactlyInAnyOrderElementsOf(runningBrokerIds()));
    }

    /** Waits until the controller has fenced the broker (it noticed the broker is gone and moved its leaderships). */
    public void awaitFenced(int brokerId, Duration within) {
        broker(brokerId);
        awaitCondition("broker " + brokerId + " fenced", within, () -> assertThat(unfencedBrokers())
                .as("unfenced brokers").doesNotContain(brokerId));
    }

    /** Waits until every partition of every topic (internal ones too) has a leader and all its replicas in sync. */
    public void awaitInSync(Duration within) {
        awaitCondition("all replicas in sync", within, () -> assertThat(outOfSync()).as("partitions out of sync")
                .isEmpty());
    }

    /** Partitions without a leader or with a replica out of sync, described ({@code topic-0 isr [1] of [1, 2, 3]}). */
    public List<String> outOfSync() throws Exception {
        Set<String> topics = admin.listTopics(new ListTopicsOptions().listInternal(true)).names()
                .get(10, TimeUnit.SECONDS);
        List<String> out = new ArrayList<>();
        if (topics.isEmpty()) {
            return out;
        }
        Map<String, TopicDescription> described = new TreeMap<>(admin.describeTopics(topics).allTopicNames()
                .get(10, TimeUnit.SECONDS));
        for (TopicDescription d : described.values()) {
            for (TopicPartitionInfo p : d.partitions()) {
                if (p.leader() == null || p.leader().isEmpty() || p.isr().size() < p.replicas().size()) {
                    out.add(d.name() + "-" + p.partition() + " leader " + (p.leader() == null ? "none"
                            : p.leader().idString()) + " isr " + ids(p.isr()) + " of " + ids(p.replicas()));
                }
            }
        }
        return out;
    }

    /** The id of the broker that leads {@code topic}'s partition, -1 when none does. */
    public int leaderOf(String topic, int partition) throws Exception {
        TopicPartitionInfo info = admin.describeTopics(List.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS)
                .get(topic).partitions().get(partition);
        return info.leader() == null || info.leader().isEmpty() ? -1 : info.leader().id();
    }

    /** The id of the broker coordinating a consumer group (its offsets and membership). */
    public int coordinatorOf(String groupId) throws Exception {
        return admin.describeConsumerGroups(List.of(groupId)).all().get(10, TimeUnit.SECONDS).get(groupId)
                .coordinator().id();
    }

    /** The id of the broker coordinating a share group (its members and which records they acquired). */
    public int shareCoordinatorOf(String groupId) throws Exception {
        return admin.describeShareGroups(List.of(groupId)).all().get(10, TimeUnit.SECONDS).get(groupId)
                .coordinator().id();
    }

    /** The last {@code lines} lines of a broker's log (or the controller's, for {@link #CONTROLLER_ID}). */
    public String logTail(int id, int lines) {
        Member m = id == CONTROLLER_ID ? controller : broker(id);
        try {
            List<String> all = Files.readAllLines(m.log(), StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    /** Kills every process at once (the data stays in {@link #dir()}). */
    @Override
    public synchronized void close() {
        admin.close(Duration.ofSeconds(2));
        List<Member> all = new ArrayList<>(brokers.values());
        all.add(controller);
        for (Member m : all) {
            if (m.process != null) {
                m.process.destroyForcibly();
            }
        }
        for (Member m : all) {
            if (m.process != null) {
                Signals.awaitExit(m.process.toHandle(), STOP_TIMEOUT);
            }
        }
    }

    @Override
    public String toString() {
        return "BrokerCluster[" + bootstrapServers() + ", running " + runningBrokerIds() + "]";
    }

    private void awaitReady(Duration within) {
        awaitCondition("cluster ready", within, () -> {
            all().forEach(this::failIfExited);
            assertThat(admin.describeMetadataQuorum().quorumInfo().get(5, TimeUnit.SECONDS).leaderId())
                    .as("controller quorum leader").isEqualTo(CONTROLLER_ID);
            assertThat(unfencedBrokers()).as("unfenced brokers")
                    .containsExactlyInAnyOrderElementsOf(runningBrokerIds());
        });
    }

    /**
     * A process that died while starting will not come: say why at once, not at the timeout. Only for members that
     * were just started (one killed on purpose is not running either).
     */
    private synchronized void failIfExited(Member m) {
        if (m.process != null && !m.process.isAlive()) {
            throw new IllegalStateException((m.controller ? "the controller" : "broker " + m.id) + " exited with "
                    + m.process.exitValue() + "; its log ends:\n" + logTail(m.id, 30));
        }
    }

    private Set<Integer> unfencedBrokers() throws Exception {
        Collection<Node> nodes = admin.describeCluster(new DescribeClusterOptions().includeFencedBrokers(true)
                .timeoutMs(5_000)).nodes().get(10, TimeUnit.SECONDS);
        return nodes.stream().filter(n -> !n.isFenced()).map(Node::id).collect(Collectors.toCollection(TreeSet::new));
    }

    private synchronized List<Integer> runningBrokerIds() {
        return brokers.values().stream().filter(Member::running).map(m -> m.id).toList();
    }

    private List<Member> all() {
        List<Member> all = new ArrayList<>();
        all.add(controller);
        all.addAll(brokers.values());
        return all;
    }

    private Member broker(int id) {
        Member b = brokers.get(id);
        if (b == null) {
            throw new IllegalArgumentException("no broker " + id + " in " + brokers.keySet());
        }
        return b;
    }

    private Member runningBroker(int id) {
        Member b = broker(id);
        if (!b.running()) {
            throw new IllegalStateException("broker " + id + " is not running");
        }
        return b;
    }

    private interface Check {
        void run() throws Exception;
    }

    private static void awaitCondition(String what, Duration within, Check check) {
        await().alias(what).atMost(within).pollInterval(POLL).pollDelay(Duration.ZERO)
                .ignoreExceptionsMatching(e -> !(e instanceof IllegalStateException))
                .untilAsserted(check::run);
    }

    private void launch(Member m) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // surefire hands the test class path to its fork in this property (java.class.path is a manifest jar)
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> command = new ArrayList<>();
        command.add(java);
        command.addAll(JVM_OPTIONS);
        command.add("-Djava.util.logging.config.file=" + dir.resolve("logging.properties"));
        command.addAll(List.of("-cp", classpath, WhileParentLives.class.getName(), "kafka.Kafka",
                m.properties().toString()));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().remove("CLASSPATH");
        pb.environment().remove("JAVA_TOOL_OPTIONS");
        pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(m.log().toFile()));
        try {
            // standard input stays a pipe held by this JVM: WhileParentLives ends the broker when it closes
            m.process = pb.start();
            m.paused = false;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + (m.controller ? "the controller" : "broker " + m.id), e);
        }
    }

    private static void writeAndFormat(Member m, Properties properties, String clusterId) throws IOException {
        Files.createDirectories(m.home);
        try (var out = Files.newBufferedWriter(m.properties())) {
            properties.store(out, "Aegis test cluster, node " + m.id);
        }
        EmbeddedKafkaBroker.quietKafkaLogging(); // the tool logs its whole configuration at INFO
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        int code;
        try (PrintStream print = new PrintStream(output, true, StandardCharsets.UTF_8)) {
            code = kafka.tools.StorageTool.execute(new String[] {"format", "--cluster-id", clusterId, "--config",
                    m.properties().toString()}, print);
        } catch (RuntimeException e) {
            throw new IllegalStateException("kafka-storage format of node " + m.id + " failed: " + e.getMessage()
                    + "\n" + output.toString(StandardCharsets.UTF_8), e);
        }
        if (code != 0) {
            throw new IllegalStateException("kafka-storage format of node " + m.id + " failed (" + code + "): "
                    + output.toString(StandardCharsets.UTF_8));
        }
    }

    private static Properties controllerProperties(Member c) {
        Properties p = common(c, c);
        p.put("process.roles", "controller");
        p.put("listeners", "CONTROLLER://" + HOST + ":" + c.port);
        p.put("listener.security.protocol.map", "CONTROLLER:PLAINTEXT");
        // the controller validates group configs against its own bounds: the same short share-group ones
        p.putAll(SharedTestBroker.TEST_PROPERTIES);
        return p;
    }

    private static Properties brokerProperties(Member b, Member controller, Map<String, String> overrides) {
        Properties p = common(b, controller);
        p.put("process.roles", "broker");
        p.put("listeners", "PLAINTEXT://" + HOST + ":" + b.port);
        p.put("advertised.listeners", "PLAINTEXT://" + HOST + ":" + b.port);
        p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        // Topics are created on purpose (TopicInstaller), never by a typo in a producer.
        p.put("auto.create.topics.enable", "false");
        p.put("group.initial.rebalance.delay.ms", "0");
        // Internal topics keep their replication (3) and their min ISR; only fewer partitions, which start faster.
        p.put("offsets.topic.num.partitions", "5");
        p.put("transaction.state.log.num.partitions", "5");
        p.put("share.coordinator.state.topic.num.partitions", "5");
        p.put("num.io.threads", "2");
        p.put("num.network.threads", "2");
        p.put("background.threads", "2");
        p.put("log.cleaner.dedupe.buffer.size", Integer.toString(8 * 1024 * 1024));
        // short share-group locks and sessions, as the shared test broker allows: failover cases set their own
        p.putAll(SharedTestBroker.TEST_PROPERTIES);
        p.putAll(overrides);
        return p;
    }

    private static Properties common(Member m, Member controller) {
        Properties p = new Properties();
        p.put("node.id", Integer.toString(m.id));
        p.put("controller.quorum.voters", CONTROLLER_ID + "@" + HOST + ":" + controller.port);
        p.put("controller.listener.names", "CONTROLLER");
        p.put("log.dirs", m.home.resolve("data").toString());
        p.put("num.recovery.threads.per.data.dir", "1");
        return p;
    }

    private static String ids(List<Node> nodes) {
        return nodes.stream().map(Node::id).toList().toString();
    }

    private static int[] freePorts(int n) {
        // All sockets are open at once, so no two ports are the same.
        List<ServerSocket> sockets = new ArrayList<>();
        try {
            int[] ports = new int[n];
            for (int i = 0; i < n; i++) {
                ServerSocket s = new ServerSocket();
                sockets.add(s);
                s.setReuseAddress(true);
                s.bind(new InetSocketAddress(InetAddress.getByName(HOST), 0));
                ports[i] = s.getLocalPort();
            }
            return ports;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot find free ports", e);
        } finally {
            for (ServerSocket s : sockets) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // it was only probing
                }
            }
        }
    }

    /** Kafka logs through SLF4J to java.util.logging here: warnings, plus the lines that say a node started. */
    private static final String LOGGING = """
            handlers=java.util.logging.ConsoleHandler
            java.util.logging.ConsoleHandler.level=ALL
            java.util.logging.ConsoleHandler.formatter=java.util.logging.SimpleFormatter
            java.util.logging.SimpleFormatter.format=%1$tF %1$tT.%1$tL %4$s [%3$s] %5$s%6$s%n
            .level=WARNING
            kafka.server.BrokerServer.level=INFO
            kafka.server.ControllerServer.level=INFO
            kafka.server.KafkaRaftServer.level=INFO
            """;
}
