package ai.aegis.topology.tail;

import ai.aegis.schemas.topic.TopicCatalog;
import ai.aegis.schemas.topic.TopicSpec;
import ai.aegis.testing.SharedTestBroker;
import ai.aegis.topology.admin.TopicInstaller;
import ai.aegis.topology.kafka.DurablePublisher;
import ai.aegis.topology.kafka.KafkaSettings;
import ai.aegis.topology.readmodel.EventHistory;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Reading one key's records back from a partition of the real broker, page by page, and the bounds on it. */
class CatchUpReaderTest {

    @Test
    void pagesHoldOnlyTheKeysRecordsInOrderWithinTheRangeAndTogetherAllOfThem() throws Exception {
        TopicCatalog topics = new TopicCatalog("catchup" + UUID.randomUUID().toString().substring(0, 8), 1);
        TopicSpec events = topics.executionEvents();
        KafkaSettings kafka = KafkaSettings.of(SharedTestBroker.get().bootstrapServers(), topics, "catch-up-test");
        try (Admin admin = Admin.create(kafka.admin())) {
            TopicInstaller.ensure(admin, List.of(events), Duration.ofSeconds(30));
        }
        List<Long> mine = new ArrayList<>();
        long last = -1;
        try (DurablePublisher publisher = new DurablePublisher(kafka, "/test")) {
            List<CompletableFuture<RecordMetadata>> sent = new ArrayList<>();
            for (int i = 0; i < 1500; i++) {
                String key = i % 3 == 0 ? "mine" : "other-" + (i % 3);
                sent.add(publisher.send(events.name(), key, ("{\"n\":" + i + "}").getBytes(StandardCharsets.UTF_8),
                        "test"));
            }
            for (int i = 0; i < sent.size(); i++) {
                long offset = sent.get(i).get(30, TimeUnit.SECONDS).offset();
                if (i % 3 == 0) {
                    mine.add(offset);
                }
                last = Math.max(last, offset);
            }
        }

        try (CatchUpReader reader = new CatchUpReader("test", kafka, 1, 4, Duration.ofSeconds(30)).start()) {
            List<EventHistory.Found> found = new ArrayList<>();
            long from = 0;
            int pages = 0;
            while (from <= last) {
                EventHistory.Page page = reader.read(events.name(), 0, from, last, "mine");
                assertThat(page.records()).hasSizeLessThanOrEqualTo(CatchUpReader.MAX_PAGE_RECORDS);
                assertThat(page.nextOffset()).isGreaterThan(from);
                found.addAll(page.records());
                from = page.nextOffset();
                pages++;
            }
            assertThat(found).extracting(EventHistory.Found::offset).containsExactlyElementsOf(mine);
            assertThat(new String(found.get(1).value(), StandardCharsets.UTF_8)).isEqualTo("{\"n\":3}");
            assertThat(pages).isGreaterThan(1);
            assertThat(reader.pagesRead()).isEqualTo(pages);

            // a range that ends early stops there
            EventHistory.Page first = reader.read(events.name(), 0, 0, mine.get(2), "mine");
            assertThat(first.records()).extracting(EventHistory.Found::offset)
                    .containsExactlyElementsOf(mine.subList(0, 3));
            assertThat(first.nextOffset()).isEqualTo(mine.get(2) + 1);
        }
    }

    /**
     * With the cluster away, a page cannot be read: the stream is told so within the timeout, and once the one
     * reader and the one queue place are taken, a further request is refused at once instead of queueing.
     */
    @Test
    void withoutAClusterRequestsFailInTimeAndPastTheQueueAtOnce() throws Exception {
        KafkaSettings nowhere = KafkaSettings.of("127.0.0.1:1", new TopicCatalog("nowhere", 1), "catch-up-test");
        try (CatchUpReader reader = new CatchUpReader("nowhere", nowhere, 1, 1, Duration.ofSeconds(3)).start();
             ExecutorService streams = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<String>> outcomes = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                outcomes.add(streams.submit(() -> {
                    try {
                        reader.read("nowhere.execution.events.v1", 0, 0, 10, "key");
                        return "read";
                    } catch (EventHistory.Unavailable e) {
                        return e.getMessage();
                    }
                }));
            }
            List<String> messages = new ArrayList<>();
            for (Future<String> f : outcomes) {
                messages.add(f.get());
            }
            assertThat(messages).doesNotContain("read").contains("every catch-up reader of this node is busy");
            assertThat(reader.requestsRefused()).isEqualTo(3);
        }
    }

    @Test
    void aClosedReaderRefusesAtOnce() {
        KafkaSettings nowhere = KafkaSettings.of("127.0.0.1:1", new TopicCatalog("nowhere", 1), "catch-up-test");
        CatchUpReader reader = new CatchUpReader("closed", nowhere, 1, 1, Duration.ofSeconds(30)).start();
        reader.close();

        assertThatThrownBy(() -> reader.read("t", 0, 0, 1, "k")).isInstanceOf(EventHistory.Unavailable.class)
                .hasMessage("the catch-up reader is closed");
    }
}
