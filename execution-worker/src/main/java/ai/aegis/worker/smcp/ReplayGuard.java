package ai.aegis.worker.smcp;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * Refuses an envelope signature seen before. A signature needs remembering only while its timestamp is within the
 * allowed skew of now (after that the timestamp check refuses it anyway), so each is kept until its timestamp plus the
 * skew, and at most {@code capacity} are kept at once: when that many are live the call is refused as unavailable
 * rather than a live one forgotten (which would let it be replayed). Keys are the first 128 bits of the signature
 * (its {@code R}, derived from a hash of the key and message: unique per signed message).
 */
public final class ReplayGuard {

    private record Key(long high, long low) {
    }

    private record Seen(Key key, long expiresAtSeconds) {
    }

    private final int capacity;
    private final long skewSeconds;
    private final Map<Key, Long> live = new HashMap<>();
    private final ArrayDeque<Seen> order = new ArrayDeque<>();

    public ReplayGuard(int capacity, long skewSeconds) {
        if (capacity < 1) {
            throw new IllegalArgumentException("the replay cache needs room for at least one signature");
        }
        this.capacity = capacity;
        this.skewSeconds = skewSeconds;
    }

    /**
     * Records {@code signature} (64 bytes) of an envelope stamped {@code timestampSeconds}.
     *
     * @throws SmcpException {@link SmcpError#REPLAY_REFUSED} when seen before, {@link SmcpError#UNAVAILABLE} when full
     */
    public synchronized void admit(byte[] signature, long timestampSeconds, long nowSeconds) throws SmcpException {
        ByteBuffer b = ByteBuffer.wrap(signature);
        Key key = new Key(b.getLong(0), b.getLong(8));
        while (!order.isEmpty() && order.peekFirst().expiresAtSeconds() < nowSeconds) {
            Seen gone = order.pollFirst();
            live.remove(gone.key(), gone.expiresAtSeconds());
        }
        long expires = timestampSeconds + skewSeconds;
        Long previous = live.get(key);
        if (previous != null && previous >= nowSeconds) {
            throw new SmcpException(SmcpError.REPLAY_REFUSED, "this envelope was seen before (replay)");
        }
        if (live.size() >= capacity) {
            throw new SmcpException(SmcpError.UNAVAILABLE, "too many invocations in the replay window; retry");
        }
        live.put(key, expires);
        order.addLast(new Seen(key, expires));
    }

    public synchronized int size() {
        return live.size();
    }
}
