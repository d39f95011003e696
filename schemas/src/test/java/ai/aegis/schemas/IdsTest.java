package ai.aegis.schemas;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

class IdsTest {

    @ParameterizedTest
    @ValueSource(strings = {"3f1c1a8e-6a57-4d8e-9b7a-0c1d2e3f4a5b", "3F1C1A8E-6A57-4D8E-9B7A-0C1D2E3F4A5B",
            "00000000-0000-0000-0000-000000000000"})
    void canonicalUuidsAreAccepted(String id) {
        assertThat(Ids.isUuid(id)).isTrue();
        assertThat(Ids.normalise(id)).contains(id.toLowerCase());
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {"1-1-1-1-1", "agt-uuid", "exec-uuid", "3f1c1a8e6a574d8e9b7a0c1d2e3f4a5b",
            "{3f1c1a8e-6a57-4d8e-9b7a-0c1d2e3f4a5b}", " 3f1c1a8e-6a57-4d8e-9b7a-0c1d2e3f4a5b",
            "3f1c1a8e-6a57-4d8e-9b7a-0c1d2e3f4a5b\n", "3f1c1a8e-6a57-4d8e-9b7a-0c1d2e3f4a5", "gf1c1a8e-6a57-4d8e-9b7a-0c1d2e3f4a5b"})
    void anythingElseIsRejected(String id) {
        assertThat(Ids.isUuid(id)).isFalse();
        assertThat(Ids.normalise(id)).isEmpty();
    }

    @Test
    void newIdsAreCanonicalAndDistinct() {
        String a = Ids.newId();
        assertThat(Ids.isUuid(a)).isTrue();
        assertThat(a).isNotEqualTo(Ids.newId()).isEqualTo(a.toLowerCase());
    }
}
