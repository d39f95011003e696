package ai.aegis.broker;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.InvalidRecordStateException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EmbeddedKafkaBrokerTest {

    @TempDir
    Path dataDir;

    @Test
    void recordsAndTopicsSurviveARestartOnTheSameDataDir() throws Exception {
        String topic = "restart-" + UUID.randomUUID();
        String bootstrap;
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dataDir)) {
            assertThat(broker.isRunning()).isTrue();
            assertThat(broker.dataDir()).isEqualTo(dataDir.toAbsolutePath());
            bootstrap = broker.bootstrapServers();
            assertThat(bootstrap).startsWith("127.0.0.1:");
            createTopic(bootstrap, topic, 2);

            RecordMetadata written = produce(bootstrap, topic, "agent-1", "hello");
            assertThat(written.offset()).isZero();
            assertThat(consumeAll(bootstrap, topic, 1)).singleElement()
                    .satisfies(r -> {
                        assertThat(r.key()).isEqualTo("agent-1");
                        assertThat(r.value()).isEqualTo("hello");
                    });

            broker.stop();
            assertThat(broker.isRunning()).isFalse();
            assertThat(accepts(bootstrap)).as("port closed after stop").isFalse();
        }

        assertThat(dataDir.resolve(BrokerState.FILE_NAME)).exists();
        try (EmbeddedKafkaBroker again = EmbeddedKafkaBroker.start(dataDir)) {
            assertThat(again.bootstrapServers()).isEqualTo(bootstrap);
            try (Admin admin = admin(bootstrap)) {
                assertThat(admin.listTopics().names().get(30, TimeUnit.SECONDS)).contains(topic);
                assertThat(admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS)
                        .get(topic).partitions()).hasSize(2);
            }
            List<ConsumerRecord<String, String>> records = consumeAll(bootstrap, topic, 1);
            assertThat(records).extracting(ConsumerRecord::value).containsExactly("hello");
            // The log continues where it stopped: the next record gets the next offset, not 0 again.
            assertThat(produce(bootstrap, topic, "agent-1", "again").offset()).isEqualTo(1);
        }
    }

    /**
     * Share groups work on the single node (the workers consume execution requests as one), and broker properties
     * given at start apply: here a lock shorter than Kafka's 15 s minimum, which a test broker allows so that lock
     * expiry is tested quickly. A member that holds a record past its lock loses it to another member (delivery
     * count 2), and its late acknowledgement is refused.
     */
    @Test
    void shareGroupsWorkAndGivenBrokerPropertiesApply() throws Exception {
        String topic = "share-" + UUID.randomUUID();
        String group = "share-group-" + UUID.randomUUID();
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dataDir, 0, 0,
                Map.of("group.share.min.record.lock.duration.ms", "1000"))) {
            String bootstrap = broker.bootstrapServers();
            createTopic(bootstrap, topic, 1);
            try (Admin admin = admin(bootstrap)) {
                admin.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.GROUP, group), List.of(
                        new AlterConfigOp(new ConfigEntry("share.auto.offset.reset", "earliest"),
                                AlterConfigOp.OpType.SET),
                        new AlterConfigOp(new ConfigEntry("share.record.lock.duration.ms", "1500"),
                                AlterConfigOp.OpType.SET)))).all().get(30, TimeUnit.SECONDS);
            }
            produce(bootstrap, topic, "job-1", "work");
            Map<String, Object> config = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                    ConsumerConfig.GROUP_ID_CONFIG, group, ConsumerConfig.SHARE_ACKNOWLEDGEMENT_MODE_CONFIG, "explicit",
                    ConsumerConfig.SHARE_ACQUIRE_MODE_CONFIG, "record_limit", ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1);
            try (KafkaShareConsumer<String, String> slow = new KafkaShareConsumer<>(config,
                    new StringDeserializer(), new StringDeserializer());
                 KafkaShareConsumer<String, String> other = new KafkaShareConsumer<>(config,
                         new StringDeserializer(), new StringDeserializer())) {
                slow.subscribe(List.of(topic));
                other.subscribe(List.of(topic));
                ConsumerRecord<String, String> first = pollOne(slow);
                assertThat(first.value()).isEqualTo("work");
                assertThat(first.deliveryCount()).contains((short) 1);
                assertThat(slow.acquisitionLockTimeoutMs()).contains(1500);

                ConsumerRecord<String, String> again = pollOne(other); // once the slow member's lock ran out
                assertThat(again.offset()).isEqualTo(first.offset());
                assertThat(again.deliveryCount()).contains((short) 2);

                slow.acknowledge(first, AcknowledgeType.ACCEPT);
                assertThat(slow.commitSync(Duration.ofSeconds(10)).values()).singleElement()
                        .satisfies(error -> assertThat(error).get().isInstanceOf(InvalidRecordStateException.class));
                other.acknowledge(again, AcknowledgeType.ACCEPT);
                assertThat(other.commitSync(Duration.ofSeconds(10)).values()).allMatch(Optional::isEmpty);
            }
        }
    }

    private static ConsumerRecord<String, String> pollOne(KafkaShareConsumer<String, String> consumer) {
        List<ConsumerRecord<String, String>> got = new ArrayList<>();
        Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> {
            consumer.poll(Duration.ofMillis(500)).forEach(got::add);
            return !got.isEmpty();
        });
        return got.getFirst();
    }

    @Test
    void anExplicitBrokerPortOnRestartMovesTheClientListenerAndKeepsTheData() throws Exception {
        String topic = "moved-" + UUID.randomUUID();
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dataDir)) {
            createTopic(broker.bootstrapServers(), topic, 1);
            produce(broker.bootstrapServers(), topic, "k", "v");
        }
        int newPort = freePort();
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dataDir, newPort, 0)) {
            assertThat(broker.bootstrapServers()).isEqualTo("127.0.0.1:" + newPort);
            assertThat(consumeAll(broker.bootstrapServers(), topic, 1)).extracting(ConsumerRecord::value)
                    .containsExactly("v");
        }
        // The new port is now the recorded one.
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dataDir)) {
            assertThat(broker.bootstrapServers()).isEqualTo("127.0.0.1:" + newPort);
        }
    }

    @Test
    void aChangedControllerPortIsRefusedBecauseTheVoterSetRecordedIt() {
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dataDir)) {
            broker.stop();
        }
        int other = freePort();
        assertThatThrownBy(() -> EmbeddedKafkaBroker.start(dataDir, 0, other))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("controller port " + other);
    }

    @Test
    void stopIsIdempotentAndCloseAfterStopIsHarmless() {
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dataDir);
        broker.stop();
        broker.stop();
        broker.close();
        assertThat(broker.isRunning()).isFalse();
        assertThat(broker.toString()).contains("stopped");
    }

    @Test
    void anOccupiedBrokerPortFailsWithAClearMessageAndReleasesTheController() throws Exception {
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
            int port = taken.getLocalPort();
            assertThatThrownBy(() -> EmbeddedKafkaBroker.start(dataDir, port, 0))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("127.0.0.1:" + port)
                    .hasMessageContaining("failed to start");
        }
        // Nothing of the failed attempt lingers: the same directory starts cleanly afterwards.
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dataDir)) {
            assertThat(broker.isRunning()).isTrue();
        }
    }

    @Test
    void kafkaLoggersAreQuietedToWarning() {
        try (EmbeddedKafkaBroker ignored = EmbeddedKafkaBroker.start(dataDir)) {
            System.gc(); // the levels must survive collection of loggers nobody else references
            assertThat(Logger.getLogger("kafka").getLevel()).isEqualTo(Level.WARNING);
            assertThat(Logger.getLogger("org.apache.kafka").getLevel()).isEqualTo(Level.WARNING);
            assertThat(Logger.getLogger("state.change.logger").getLevel()).isEqualTo(Level.WARNING);
            assertThat(Logger.getLogger("org.apache.kafka.controller.QuorumController").isLoggable(Level.INFO))
                    .isFalse();
        }
    }

    @Test
    void rejectsPortsOutOfRange() {
        assertThatThrownBy(() -> EmbeddedKafkaBroker.start(dataDir, 70_000, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("brokerPort");
        assertThat(Files.exists(dataDir.resolve(BrokerState.FILE_NAME))).isFalse();
    }

    static Admin admin(String bootstrap) {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap));
    }

    static void createTopic(String bootstrap, String topic, int partitions) throws Exception {
        try (Admin admin = admin(bootstrap)) {
            admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get(30, TimeUnit.SECONDS);
        }
    }

    static RecordMetadata produce(String bootstrap, String topic, String key, String value) throws Exception {
        Map<String, Object> config = Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        try (var producer = new KafkaProducer<>(config, new StringSerializer(), new StringSerializer())) {
            return producer.send(new ProducerRecord<>(topic, key, value)).get(30, TimeUnit.SECONDS);
        }
    }

    static List<ConsumerRecord<String, String>> consumeAll(String bootstrap, String topic, int expected) {
        Map<String, Object> config = Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG, "test-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        List<ConsumerRecord<String, String>> records = new ArrayList<>();
        try (var consumer = new KafkaConsumer<>(config, new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(Set.of(topic));
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
                return records.size() >= expected;
            });
        }
        return records;
    }

    private static boolean accepts(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(hostPort.substring(0, colon),
                    Integer.parseInt(hostPort.substring(colon + 1))), 1_000);
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
            return socket.getLocalPort();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
