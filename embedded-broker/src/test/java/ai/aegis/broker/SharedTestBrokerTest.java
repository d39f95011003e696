package ai.aegis.broker;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class SharedTestBrokerTest {

    @Test
    void returnsTheSameRunningBrokerEveryTime() throws Exception {
        EmbeddedKafkaBroker first = SharedTestBroker.get();
        EmbeddedKafkaBroker second = SharedTestBroker.get();
        assertThat(second).isSameAs(first);
        assertThat(first.isRunning()).isTrue();
        try (Admin admin = EmbeddedKafkaBrokerTest.admin(first.bootstrapServers())) {
            assertThat(admin.describeCluster().nodes().get(30, TimeUnit.SECONDS)).hasSize(1);
        }
    }

    @Test
    void isUsableForProducingAndConsuming() throws Exception {
        String bootstrap = SharedTestBroker.get().bootstrapServers();
        String topic = "shared-" + UUID.randomUUID();
        EmbeddedKafkaBrokerTest.createTopic(bootstrap, topic, 1);
        EmbeddedKafkaBrokerTest.produce(bootstrap, topic, "k", "shared");
        List<ConsumerRecord<String, String>> records = EmbeddedKafkaBrokerTest.consumeAll(bootstrap, topic, 1);
        assertThat(records).extracting(ConsumerRecord::value).containsExactly("shared");
    }
}
