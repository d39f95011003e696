package ai.aegis.worker.smcp.session;

import ai.aegis.schemas.json.Json;
import ai.aegis.schemas.smcp.SmcpSession;
import ai.aegis.schemas.smcp.SmcpSessionStatus;
import ai.aegis.schemas.smcp.SmcpSigningKey;
import ai.aegis.topology.serde.WireReaders;
import ai.aegis.worker.gateway.InnerLoopSession;
import ai.aegis.worker.smcp.crypto.AgentKeys;
import ai.aegis.worker.smcp.crypto.KeyRing;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The SMCP sessions a node knows: those of the sandboxes it runs ({@link Live}, held until their iteration ends,
 * with the parsed agent key and the iteration's loop), and a bounded view of the sessions topic (the latest record
 * of at most {@code remembered} sessions of any node, least recently written forgotten first), which also teaches
 * the {@link KeyRing} the other nodes' signing keys. Thread-safe.
 */
public final class SessionStore {

    /** A session of a sandbox this node runs. */
    public record Live(SmcpSession session, Ed25519PublicKeyParameters agentKey, InnerLoopSession loop) {
    }

    /** A session to check an invocation against: its record and its parsed key; the loop when this node runs it. */
    public record Found(SmcpSession session, Ed25519PublicKeyParameters agentKey, InnerLoopSession loop) {
    }

    private final Map<String, Live> live = new ConcurrentHashMap<>();
    private final Map<String, SmcpSession> remembered;
    /** Sessions this node ended lately: their own records, read back late, must not revive them. */
    private final Map<String, Boolean> endedHere;
    private final KeyRing keys;

    public SessionStore(int remembered, KeyRing keys) {
        this.keys = keys;
        this.endedHere = new LinkedHashMap<>(64, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
                return size() > 10_000;
            }
        };
        this.remembered = new LinkedHashMap<>(1024, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, SmcpSession> eldest) {
                return size() > remembered;
            }
        };
    }

    /** A session this node's sandbox attested, once its record is durable. */
    public void attested(Live session) {
        live.put(session.session().sessionId(), session);
    }

    /** Ends a local session: later invocations with its token are refused here at once. */
    public Optional<SmcpSession> end(String sessionId) {
        Live gone = live.remove(sessionId);
        synchronized (remembered) {
            remembered.remove(sessionId);
            endedHere.put(sessionId, Boolean.TRUE);
        }
        return gone == null ? Optional.empty() : Optional.of(gone.session());
    }

    public Optional<Found> find(String sessionId) {
        Live l = live.get(sessionId);
        if (l != null) {
            return Optional.of(new Found(l.session(), l.agentKey(), l.loop()));
        }
        SmcpSession s;
        synchronized (remembered) {
            s = remembered.get(sessionId);
        }
        if (s == null || s.status() != SmcpSessionStatus.ACTIVE) {
            return s == null ? Optional.empty() : Optional.of(new Found(s, null, null));
        }
        return Optional.of(new Found(s, AgentKeys.parse(s.agentPublicKey()), null));
    }

    /** Sessions this node's sandboxes hold now. */
    public int liveCount() {
        return live.size();
    }

    /**
     * Folds a record of the sessions topic (the tail's handler): a session's latest state, or a signing key.
     *
     * @throws IllegalArgumentException for a record that is neither (it is dead-lettered)
     */
    public void onRecord(String key, byte[] value) {
        if (key == null) {
            throw new IllegalArgumentException("a record of the sessions topic needs a key");
        }
        if (key.startsWith(SmcpSigningKey.KEY_PREFIX)) {
            if (value == null) {
                return; // a retired key: tokens it signed die with their sessions
            }
            SmcpSigningKey k = WireReaders.SMCP_SIGNING_KEY.read(value);
            if (!key.equals(k.recordKey())) {
                throw new IllegalArgumentException("signing key record " + key + " holds key " + k.keyId());
            }
            keys.learn(k.keyId(), Json.write(k.jwk()));
            return;
        }
        if (value == null) {
            // the session ended (its iteration did, or it was revoked): as good as none
            synchronized (remembered) {
                remembered.remove(key);
            }
            live.remove(key);
            return;
        }
        SmcpSession s = WireReaders.SMCP_SESSION.read(value);
        if (!key.equals(s.sessionId())) {
            throw new IllegalArgumentException("session record " + key + " holds session " + s.sessionId());
        }
        AgentKeys.parse(s.agentPublicKey()); // a key that cannot be read is refused here, not at each call
        synchronized (remembered) {
            if (endedHere.containsKey(key)) {
                return;
            }
            remembered.remove(key); // re-inserted: the order is that of the latest write
            remembered.put(key, s);
        }
        if (s.status() != SmcpSessionStatus.ACTIVE) {
            live.remove(key);
        }
    }
}
