package ai.aegis.worker.kafka;

import ai.aegis.schemas.execution.ExecutionEvent;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The workers' fold of the events topic: the newest attempt per execution and whether it ended. */
class AttemptLedgerTest {

    private static final Instant T = Instant.parse("2026-03-05T14:00:00Z");
    private final AttemptLedger ledger = new AttemptLedger(3);

    @Test
    void theNewestAttemptCountsAndAnEndIsFinal() {
        ledger.onEvent(new ExecutionEvent.ExecutionStarted("a", "agent", T));
        assertThat(ledger.get("a")).contains(new AttemptLedger.Known(1, false));
        ledger.onEvent(new ExecutionEvent.ExecutionStarted("a", "agent", T).withAttempt(2));
        assertThat(ledger.get("a")).contains(new AttemptLedger.Known(2, false));
        ledger.onEvent(new ExecutionEvent.ExecutionCompleted("a", "out", 1, T).withAttempt(2));
        assertThat(ledger.get("a")).contains(new AttemptLedger.Known(2, true));
        ledger.onEvent(new ExecutionEvent.ExecutionStarted("a", "agent", T).withAttempt(3));
        assertThat(ledger.get("a")).contains(new AttemptLedger.Known(3, true));
        assertThat(ledger.get("b")).isEmpty();
    }

    /** As in the API's views: what a superseded run writes after a newer one began does not count, its end neither. */
    @Test
    void theEndOfASupersededAttemptIsNoEnd() {
        ledger.onEvent(new ExecutionEvent.ExecutionStarted("a", "agent", T));
        ledger.onEvent(new ExecutionEvent.ExecutionStarted("a", "agent", T).withAttempt(2));
        ledger.onEvent(new ExecutionEvent.ExecutionFailed("a", "zombie", 1, T));
        assertThat(ledger.get("a")).contains(new AttemptLedger.Known(2, false));
    }

    @Test
    void itIsBoundedByForgettingTheLeastRecentlyChanged() {
        for (String id : new String[] {"a", "b", "c", "d"}) {
            ledger.onEvent(new ExecutionEvent.ExecutionStarted(id, "agent", T));
        }
        assertThat(ledger.size()).isEqualTo(3);
        assertThat(ledger.get("a")).isEmpty();
        assertThat(ledger.get("d")).isPresent();
        assertThatThrownBy(() -> new AttemptLedger(0)).isInstanceOf(IllegalArgumentException.class);
    }
}
