package ai.aegis.topology.health;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

class RestartBudgetTest {

    private static final long SECOND = 1_000_000_000L;

    @Test
    void restartsWithinTheWindowAreCountedAndTheBudgetRefillsAsTheyAge() {
        RestartBudget budget = new RestartBudget(2, Duration.ofSeconds(10));
        assertThat(budget.tryRestart(0)).isTrue();
        assertThat(budget.tryRestart(SECOND)).isTrue();
        assertThat(budget.tryRestart(2 * SECOND)).as("a third within 10 s").isFalse();
        assertThat(budget.tryRestart(10 * SECOND)).as("the first has aged out").isTrue();
        assertThat(budget.tryRestart(10 * SECOND)).isFalse();
        assertThat(budget.restarts()).isEqualTo(3);
    }

    @Test
    void aBudgetOfNoneNeverRestarts() {
        assertThat(new RestartBudget(0, Duration.ofMinutes(1)).tryRestart(0)).isFalse();
    }
}
