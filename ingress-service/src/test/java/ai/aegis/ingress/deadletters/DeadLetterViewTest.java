package ai.aegis.ingress.deadletters;

import ai.aegis.schemas.deadletter.DeadLetter;
import ai.aegis.schemas.json.Json;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

/** The node's bounded view of recent dead letters, as pure logic (its tail on the broker: IngressDeadLettersTest). */
class DeadLetterViewTest {

    private static final Instant T = Instant.parse("2026-12-01T10:00:00Z");
    private long offset;

    private static DeadLetter letter(String consumer, long sourceOffset, Instant at) {
        return DeadLetter.of(consumer, "aegis.agents.v1", 0, sourceOffset, "k", "{}".getBytes(StandardCharsets.UTF_8),
                new IllegalStateException("bad"), at);
    }

    private ConsumerRecord<String, byte[]> record(DeadLetter letter) {
        return new ConsumerRecord<>("aegis.deadletter.v1", 0, offset++, letter.key(), Json.writeBytes(letter));
    }

    @Test
    void newestFirstBoundedAndOneEntryPerFailure() {
        DeadLetterView view = new DeadLetterView(3);
        view.onRecord(record(letter("a", 1, T)));
        view.onRecord(record(letter("a", 2, T.plusSeconds(2))));
        view.onRecord(record(letter("b", 1, T.plusSeconds(1))));
        assertThat(view.newest(10)).extracting(DeadLetter::consumer, DeadLetter::sourceOffset)
                .containsExactly(tuple("a", 2L), tuple("b", 1L), tuple("a", 1L));
        assertThat(view.newest(1)).extracting(DeadLetter::sourceOffset).containsExactly(2L);

        // the same failure dead-lettered again (a restart read the record again): kept once, the latest
        view.onRecord(record(letter("a", 1, T.plusSeconds(5))));
        assertThat(view.size()).isEqualTo(3);
        assertThat(view.newest(1).getFirst().failedAt()).isEqualTo(T.plusSeconds(5));

        // past the capacity, the eldest read is forgotten (a2: a1 was read again since)
        view.onRecord(record(letter("c", 9, T.plusSeconds(6))));
        assertThat(view.size()).isEqualTo(3);
        assertThat(view.newest(10)).extracting(DeadLetter::consumer).containsExactly("c", "a", "b");
    }

    @Test
    void aRecordThatIsNotADeadLetterIsCountedNeverDeadLettered() throws Exception {
        DeadLetterView view = new DeadLetterView(3);
        view.unreadableRecords().onBadRecord(new ConsumerRecord<>("aegis.deadletter.v1", 0, 0, null, null),
                new IllegalArgumentException("x"));
        assertThat(view.unreadable()).isEqualTo(1);
        assertThat(view.size()).isZero();
    }
}
