package ai.aegis.ingress;

import ai.aegis.schemas.topic.TopicCatalog;
import ai.aegis.testing.SharedTestBroker;
import ai.aegis.topology.kafka.KafkaSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.management.MBeanServer;
import javax.management.ObjectName;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A start that fails after the Kafka clients exist releases them before it throws: no thread of the admin client,
 * the producer or the tail is left, and no client is still registered (every Kafka client registers its metrics
 * under its client id until it is closed).
 */
class IngressServerStartTest {

    private static final String TAIL_THREAD = "tail-ingress";

    @TempDir
    Path tmp;

    private final String clientId = "start-test-" + UUID.randomUUID();
    private final KafkaSettings kafka = KafkaSettings.of(SharedTestBroker.get().bootstrapServers(),
            new TopicCatalog("t" + UUID.randomUUID().toString().replace("-", ""), 1), clientId);

    @Test
    void aRunningIngressHoldsItsClientsAndCloseReleasesThem() {
        Set<Thread> tailsBefore = tailThreads();
        IngressServer server = IngressServer.start(config(tmp.resolve("data")).port(0).build(), kafka);
        try {
            // what the other tests look for is really there while the ingress runs
            assertThat(clientThreads()).anyMatch(n -> n.startsWith("kafka-admin-client-thread"))
                    .anyMatch(n -> n.startsWith("kafka-producer-network-thread"));
            assertThat(clientMBeans()).anyMatch(n -> n.startsWith("kafka.consumer:"));
            assertThat(newTailThreads(tailsBefore)).hasSize(1);
        } finally {
            server.close();
        }
        assertReleased(tailsBefore);
    }

    @Test
    void aStartThatCannotBindItsPortReleasesWhatItCreated() throws Exception {
        Set<Thread> tailsBefore = tailThreads();
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            IngressConfig config = config(tmp.resolve("data")).port(taken.getLocalPort()).build();

            assertThatThrownBy(() -> IngressServer.start(config, kafka))
                    .hasMessageContaining("cannot listen on 127.0.0.1:" + taken.getLocalPort());
        }
        assertReleased(tailsBefore);
    }

    @Test
    void aStartThatCannotWriteItsDataDirectoryReleasesWhatItCreated() throws Exception {
        Path notADirectory = Files.writeString(tmp.resolve("a-file"), "x");
        Set<Thread> tailsBefore = tailThreads();

        // the view archives are the first to need it (the API token comes later)
        assertThatThrownBy(() -> IngressServer.start(config(notADirectory).port(0).build(), kafka))
                .hasMessageContaining(notADirectory.toString());

        assertReleased(tailsBefore);
    }

    private static IngressConfig.Builder config(Path dataDir) {
        return IngressConfig.builder().host("127.0.0.1").dataDir(dataDir);
    }

    private void assertReleased(Set<Thread> tailsBefore) {
        assertThat(clientThreads()).as("threads of this test's Kafka clients").isEmpty();
        assertThat(clientMBeans()).as("Kafka clients still registered").isEmpty();
        assertThat(newTailThreads(tailsBefore)).as("tail threads").isEmpty();
    }

    private List<String> clientThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
                .filter(n -> n.contains(clientId)).toList();
    }

    private List<String> clientMBeans() {
        MBeanServer mbeans = ManagementFactory.getPlatformMBeanServer();
        List<String> names = new ArrayList<>();
        for (ObjectName name : mbeans.queryNames(null, null)) {
            if (name.getDomain().startsWith("kafka.") && name.toString().contains(clientId)) {
                names.add(name.toString());
            }
        }
        return names;
    }

    private static Set<Thread> tailThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().equals(TAIL_THREAD)).collect(Collectors.toSet());
    }

    private static Set<Thread> newTailThreads(Set<Thread> before) {
        Set<Thread> now = tailThreads();
        now.removeAll(before);
        return now;
    }
}
