package ai.aegis.topology.deadletter;

import ai.aegis.schemas.deadletter.DeadLetter;
import ai.aegis.schemas.json.Json;
import ai.aegis.schemas.topic.CloudEventHeaders;
import ai.aegis.schemas.topic.TopicCatalog;
import ai.aegis.testing.SharedTestBroker;
import ai.aegis.topology.admin.TopicInstaller;
import ai.aegis.topology.kafka.DurablePublisher;
import ai.aegis.topology.kafka.KafkaSettings;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** A dead letter written through the real broker reads back with its headers, key and the failed bytes. */
class DeadLettersTest {

    @Test
    void aDeadLetterIsDurableKeyedByTheFailedKeyAndNamesItsSourceInHeadersAndValue() throws Exception {
        TopicCatalog topics = new TopicCatalog("dlq" + UUID.randomUUID().toString().substring(0, 8), 2);
        KafkaSettings kafka = KafkaSettings.of(SharedTestBroker.get().bootstrapServers(), topics, "dlq-test");
        try (Admin admin = Admin.create(kafka.admin())) {
            TopicInstaller.ensure(admin, List.of(topics.deadLetters()), Duration.ofSeconds(30));
        }
        byte[] poison = {'{', (byte) 0xff, '}'};
        try (DurablePublisher publisher = new DurablePublisher(kafka, "/test")) {
            DeadLetters letters = new DeadLetters(publisher, topics.deadLetters().name(), "test-consumer");
            letters.write(topics.executionRequests().name(), 4, 99, "the-key", poison,
                    new IllegalStateException("unreadable"));
            assertThat(letters.written()).isEqualTo(1);
        }

        List<ConsumerRecord<String, byte[]>> read = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(kafka.consumer(null))) {
            List<TopicPartition> partitions = List.of(new TopicPartition(topics.deadLetters().name(), 0),
                    new TopicPartition(topics.deadLetters().name(), 1));
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(read::add);
                return !read.isEmpty();
            });
        }
        ConsumerRecord<String, byte[]> record = read.getFirst();
        assertThat(record.key()).isEqualTo("the-key");
        DeadLetter letter = Json.read(record.value(), DeadLetter.class);
        assertThat(letter.sourceTopic()).isEqualTo(topics.executionRequests().name());
        assertThat(letter.sourcePartition()).isEqualTo(4);
        assertThat(letter.sourceOffset()).isEqualTo(99);
        assertThat(letter.consumer()).isEqualTo("test-consumer");
        assertThat(letter.valueAsBytes()).isEqualTo(poison);
        assertThat(CloudEventHeaders.get(record.headers(), CloudEventHeaders.TYPE)).contains(DeadLetter.CE_TYPE);
        assertThat(CloudEventHeaders.get(record.headers(), DeadLetter.SOURCE_TOPIC))
                .contains(topics.executionRequests().name());
        assertThat(CloudEventHeaders.get(record.headers(), DeadLetter.SOURCE_OFFSET)).contains("99");
        assertThat(CloudEventHeaders.get(record.headers(), DeadLetter.ERROR_CLASS))
                .contains(IllegalStateException.class.getName());
        assertThat(CloudEventHeaders.get(record.headers(), DeadLetter.ERROR_MESSAGE)).contains("unreadable");
    }
}
