package ai.aegis.worker.smcp.session;

import ai.aegis.schemas.json.Json;
import ai.aegis.schemas.smcp.SmcpSession;
import ai.aegis.schemas.smcp.SmcpSessionStatus;
import ai.aegis.worker.smcp.crypto.AgentKeys;
import ai.aegis.worker.smcp.crypto.KeyRing;
import ai.aegis.worker.smcp.crypto.SigningKey;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.junit.jupiter.api.Test;

import java.security.SecureRandom;
import java.time.Instant;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SessionStoreTest {

    private final KeyRing keys = new KeyRing(SigningKey.ephemeral(), 10);
    private final SessionStore store = new SessionStore(2, keys);

    private static SmcpSession session() {
        String key = AgentKeys.encode(new Ed25519PrivateKeyParameters(new SecureRandom()).generatePublicKey());
        return new SmcpSession(UUID.randomUUID().toString(), UUID.randomUUID().toString(),
                UUID.randomUUID().toString(), 1, "", key, "default", UUID.randomUUID().toString(), "kid",
                SmcpSessionStatus.ACTIVE, Instant.now(), Instant.now().plusSeconds(60), null, null);
    }

    @Test
    void anotherNodesSessionIsFoundWithItsKeyUntilItsTombstone() {
        SmcpSession s = session();
        store.onRecord(s.sessionId(), Json.writeBytes(s));

        SessionStore.Found found = store.find(s.sessionId()).orElseThrow();
        assertThat(found.loop()).isNull();
        assertThat(AgentKeys.encode(found.agentKey())).isEqualTo(s.agentPublicKey());

        store.onRecord(s.sessionId(), null);
        assertThat(store.find(s.sessionId())).isEmpty();
    }

    @Test
    void aSessionEndedHereIsNotRevivedByItsOwnRecordReadLate() {
        SmcpSession s = session();
        store.attested(new SessionStore.Live(s, AgentKeys.parse(s.agentPublicKey()), null));
        assertThat(store.liveCount()).isEqualTo(1);

        store.end(s.sessionId());
        store.onRecord(s.sessionId(), Json.writeBytes(s)); // the attestation's record, read back after the end

        assertThat(store.find(s.sessionId())).isEmpty();
        assertThat(store.liveCount()).isZero();
    }

    @Test
    void theViewIsBoundedAndBadRecordsAreRefusedForTheDeadLetters() {
        SmcpSession a = session();
        SmcpSession b = session();
        SmcpSession c = session();
        for (SmcpSession s : new SmcpSession[] {a, b, c}) {
            store.onRecord(s.sessionId(), Json.writeBytes(s));
        }
        assertThat(store.find(a.sessionId())).isEmpty();
        assertThat(store.find(c.sessionId())).isPresent();

        assertThatThrownBy(() -> store.onRecord("other-id", Json.writeBytes(session())))
                .hasMessageContaining("holds session");
        assertThatThrownBy(() -> store.onRecord(null, new byte[] {1})).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.onRecord("x", "{}".getBytes())).isInstanceOf(RuntimeException.class);
    }
}
