package ai.aegis.schemas.stimulus;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;

/**
 * The record key of a stimulus on the stimulus topics, which decides its partition and so the one task that
 * deduplicates it.
 *
 * <p>The deduplication key is the lower-case hex SHA-256 of the bytes {@code UTF-8(source) 0x00
 * UTF-8(idempotency_key)}. A source never holds a NUL ({@link StimulusSources#normalise}), so the first NUL ends it and
 * no two (source, key) pairs share the input. Hashed rather than joined: 64 characters whatever the caller's key, and
 * no caller-chosen text in store keys, changelogs or logs.
 */
public final class StimulusKeys {

    private static final HexFormat HEX = HexFormat.of();

    private StimulusKeys() {
    }

    /** 64 lower-case hex characters. */
    public static String dedupKey(String source, String idempotencyKey) {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(idempotencyKey, "idempotencyKey");
        if (source.indexOf('\u0000') >= 0) {
            throw new IllegalArgumentException("a source must not contain NUL");
        }
        MessageDigest sha256 = sha256();
        sha256.update(source.getBytes(StandardCharsets.UTF_8));
        sha256.update((byte) 0);
        sha256.update(idempotencyKey.getBytes(StandardCharsets.UTF_8));
        return HEX.formatHex(sha256.digest());
    }

    /**
     * The key of {@code request} on the requests, accepted and outcomes topics: its deduplication key, or its
     * stimulus id when it has no idempotency key (it is never deduplicated, and ids spread over the partitions).
     */
    public static String recordKey(StimulusRequest request) {
        return request.idempotencyKey() == null ? request.stimulusId()
                : dedupKey(request.source(), request.idempotencyKey());
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }
}
