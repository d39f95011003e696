package ai.aegis.ingress.stream;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** Streams opened together must not send their heartbeats at the same instant forever after. */
class HeartbeatJitterTest {

    @Test
    void eachWaitIsBetweenThreeQuartersAndAllOfTheHeartbeatAndTheyDiffer() {
        Duration heartbeat = Duration.ofSeconds(15);
        Set<Duration> drawn = new HashSet<>();
        for (int i = 0; i < 1000; i++) {
            Duration d = SseFormat.jittered(heartbeat);
            assertThat(d).isBetween(Duration.ofMillis(11_250), heartbeat);
            drawn.add(d);
        }
        assertThat(drawn).hasSizeGreaterThan(900);
    }
}
