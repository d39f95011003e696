package ai.aegis.worker.kafka;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class OffsetTrackerTest {

    private final TopicPartition p0 = new TopicPartition("requests", 0);
    private final TopicPartition p1 = new TopicPartition("requests", 1);
    private final OffsetTracker tracker = new OffsetTracker();

    @Test
    void commitsOnlyTheFinishedPrefixSoUnfinishedWorkIsRedelivered() {
        tracker.started(p0, 10);
        tracker.started(p0, 11);
        tracker.started(p0, 12);
        tracker.finished(p0, 11);
        tracker.finished(p0, 12);
        assertThat(tracker.committable()).isEmpty(); // 10 still runs: committing 13 would lose it on a crash
        tracker.finished(p0, 10);
        assertThat(tracker.committable()).containsEntry(p0, new OffsetAndMetadata(13));
        assertThat(tracker.committable()).isEmpty();
        assertThat(tracker.inFlight()).isZero();
    }

    @Test
    void partitionsAreIndependentAndRevokedOnesAreForgotten() {
        tracker.started(p0, 1);
        tracker.started(p1, 7);
        tracker.finished(p1, 7);
        assertThat(tracker.committable()).containsOnlyKeys(p1);
        tracker.revoked(List.of(p0));
        tracker.finished(p0, 1);
        assertThat(tracker.committable()).isEmpty();
        assertThat(tracker.inFlight()).isZero();
    }
}
