package ai.aegis.topology.timer;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class TimersTest {

    private KeyValueStore<String, String> store;
    private Timers timers;

    @BeforeEach
    void store() {
        store = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore("timers"), Serdes.String(), Serdes.String())
                .withLoggingDisabled().build();
        store.init(new MockProcessorContext<>().getStateStoreContext(), store);
        timers = new Timers(store);
    }

    private List<String> keys() {
        List<String> keys = new ArrayList<>();
        try (var all = store.all()) {
            all.forEachRemaining(kv -> keys.add(kv.key));
        }
        return keys;
    }

    @Test
    void theKeyIsTheDueTimeInNineteenDigitsThenTheId() {
        // The format of stores on disk and of their changelogs: it must never change.
        assertThat(Timers.key(5, "run-1")).isEqualTo("0000000000000000005|run-1");
        assertThat(Timers.key(Long.MAX_VALUE, "a")).isEqualTo("9223372036854775807|a");
        timers.set(1_700_000_000_000L, "a");
        assertThat(store.get("0000001700000000000|a")).isEqualTo("a");
    }

    @Test
    void aSaturatedAddStopsAtNever() {
        assertThat(Timers.saturatedAdd(1_000, 500)).isEqualTo(1_500);
        assertThat(Timers.saturatedAdd(Long.MAX_VALUE - 1, 2)).isEqualTo(Long.MAX_VALUE);
        assertThat(Timers.saturatedAdd(1_000, Long.MAX_VALUE)).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void onlyDueTimersFireEarliestFirstAndAreDeleted() {
        timers.set(300, "c");
        timers.set(100, "a");
        timers.set(200, "b");
        timers.set(301, "late");
        List<String> fired = new ArrayList<>();

        timers.fireDue(300, Integer.MAX_VALUE, fired::add);

        assertThat(fired).containsExactly("a", "b", "c");
        assertThat(keys()).containsExactly(Timers.key(301, "late"));
    }

    @Test
    void atMostTheLimitFiresAndTheRestWaits() {
        for (int i = 1; i <= 5; i++) {
            timers.set(i, "t" + i);
        }
        List<String> fired = new ArrayList<>();

        timers.fireDue(10, 2, fired::add);
        assertThat(fired).containsExactly("t1", "t2");
        timers.fireDue(10, 2, fired::add);
        timers.fireDue(10, 2, fired::add);

        assertThat(fired).containsExactly("t1", "t2", "t3", "t4", "t5");
        assertThat(keys()).isEmpty();
    }

    @Test
    void bookkeepingKeysAreNeverFired() {
        store.put("~purged-requested-up-to", "42");
        timers.set(1, "a");
        List<String> fired = new ArrayList<>();

        timers.fireDue(Long.MAX_VALUE, Integer.MAX_VALUE, fired::add);

        assertThat(fired).containsExactly("a");
        assertThat(store.get("~purged-requested-up-to")).isEqualTo("42");
    }

    @Test
    void aTimerAnActionSetsWaitsForTheNextCallEvenWhenDue() {
        timers.set(100, "a");
        List<String> fired = new ArrayList<>();

        timers.fireDue(200, Integer.MAX_VALUE, id -> {
            fired.add(id);
            timers.set(150, "again-" + id);
        });
        assertThat(fired).containsExactly("a");
        assertThat(keys()).containsExactly(Timers.key(150, "again-a"));

        timers.fireDue(200, Integer.MAX_VALUE, fired::add);
        assertThat(fired).containsExactly("a", "again-a");
    }

    @Test
    void aDeletedTimerDoesNotFire() {
        timers.set(100, "a");
        timers.delete(100, "a");
        timers.delete(100, "never-set");
        List<String> fired = new ArrayList<>();

        timers.fireDue(200, Integer.MAX_VALUE, fired::add);

        assertThat(fired).isEmpty();
    }
}
