package ai.aegis.worker.smcp;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ReplayGuardTest {

    private static byte[] signature(int n) {
        byte[] sig = new byte[64];
        sig[0] = (byte) n;
        sig[15] = (byte) (n >> 8);
        return sig;
    }

    @Test
    void aSignatureIsRefusedTheSecondTimeWithinItsWindowAndForgottenAfter() throws SmcpException {
        ReplayGuard guard = new ReplayGuard(10, 30);
        guard.admit(signature(1), 1000, 1000);

        assertThatThrownBy(() -> guard.admit(signature(1), 1000, 1029))
                .isInstanceOfSatisfying(SmcpException.class,
                        e -> assertThat(e.error()).isEqualTo(SmcpError.REPLAY_REFUSED));
        guard.admit(signature(2), 1000, 1030);
        assertThat(guard.size()).isEqualTo(2);

        guard.admit(signature(3), 1031, 1031); // the first two are past their window now
        assertThat(guard.size()).isEqualTo(1);
    }

    @Test
    void whenFullOfLiveSignaturesItRefusesRatherThanForgetOne() throws SmcpException {
        ReplayGuard guard = new ReplayGuard(2, 30);
        guard.admit(signature(1), 1000, 1000);
        guard.admit(signature(2), 1000, 1000);

        assertThatThrownBy(() -> guard.admit(signature(3), 1000, 1001))
                .isInstanceOfSatisfying(SmcpException.class,
                        e -> assertThat(e.error()).isEqualTo(SmcpError.UNAVAILABLE));
        assertThatThrownBy(() -> guard.admit(signature(1), 1000, 1001))
                .isInstanceOfSatisfying(SmcpException.class,
                        e -> assertThat(e.error()).isEqualTo(SmcpError.REPLAY_REFUSED));
        guard.admit(signature(3), 1000, 1031);
    }
}
