package ai.aegis.worker.kafka;

import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** What a delivered request amounts to. */
class AdmissionTest {

    private static Optional<AttemptLedger.Known> known(int attempt, boolean ended) {
        return Optional.of(new AttemptLedger.Known(attempt, ended));
    }

    @Test
    void theNthDeliveryRunsTheNthAttempt() {
        assertThat(Admission.decide(1, Optional.empty(), 4)).isEqualTo(new Admission.Run(1));
        assertThat(Admission.decide(2, known(1, false), 4)).isEqualTo(new Admission.Run(2));
        // the second run died before it wrote anything: the third delivery is the third attempt
        assertThat(Admission.decide(3, known(1, false), 4)).isEqualTo(new Admission.Run(3));
    }

    @Test
    void attemptsOnTheTopicCountEvenWhenTheDeliveryCountStartsAgain() {
        // the request written twice, or the share group's state reset: the execution goes on at the next attempt
        assertThat(Admission.decide(1, known(2, false), 4)).isEqualTo(new Admission.Run(3));
    }

    @Test
    void anExecutionThatEndedIsNotRunAgain() {
        assertThat(Admission.decide(2, known(1, true), 4)).isEqualTo(new Admission.Ended(1));
        assertThat(Admission.decide(9, known(3, true), 4)).isEqualTo(new Admission.Ended(3));
    }

    @Test
    void oneAttemptTooManyGivesUp() {
        assertThat(Admission.decide(4, known(3, false), 4)).isEqualTo(new Admission.Run(4));
        assertThat(Admission.decide(5, known(4, false), 4)).isEqualTo(new Admission.GiveUp(5));
        assertThat(Admission.decide(2, Optional.empty(), 1)).isEqualTo(new Admission.GiveUp(2));
    }
}
