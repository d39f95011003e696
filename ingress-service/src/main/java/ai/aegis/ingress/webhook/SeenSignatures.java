package ai.aegis.ingress.webhook;

import java.time.Instant;

/**
 * The replay guard of the timestamped schemes: which accepted deliveries are still inside their window. A delivery
 * is offered only once its signature has been verified (a forged one must not take a place, nor make a genuine
 * one look replayed), and may be forgotten once its window has ended, since it would be refused as stale by then.
 */
public interface SeenSignatures {

    /**
     * Remembers {@code key} until {@code until} (inclusive) and says whether this is its first sighting: false if it
     * was offered before and its {@code until} has not passed. Atomic: of concurrent offers of one key, one wins.
     */
    boolean firstSighting(String key, Instant until, Instant now);
}
