package ai.aegis.worker.console;

import io.helidon.config.Config;

import java.time.Duration;

/**
 * How a sandbox's console output becomes {@code iteration_output} records ({@code aegis.worker.output.*}), built with
 * {@link #builder()}, which starts from the {@code DEFAULT_*} values below (the configuration reads through it):
 * <pre>
 * aegis.worker.output:
 *   chunk-bytes: 4096                 text of one record, at most
 *   linger-ms: 50                     how long a line waits for more lines to share its record
 *   max-bytes-per-iteration: 1048576  bytes of one stream (stdout, stderr) of one iteration written, at most
 *   tail-bytes: 65536                 of those, the last bytes of the stream, always written when it ends
 *   bytes-per-second: 262144          console bytes one execution writes per second (both streams), at most
 * </pre>
 *
 * @param chunkBytes           the most text bytes in one record; lines are gathered until the next one would not fit
 * @param linger               a record is written at the latest this long after its first line was read
 * @param maxBytesPerIteration the most bytes of one stream of one iteration that are written; the rest is dropped
 *                             from the middle, {@code truncated} marked
 * @param tailBytes            what is held while nothing may be written (rate limit, budget spent): the newest bytes
 *                             of the stream, written when it ends
 * @param bytesPerSecond       the rate limit of one execution's console records, with a burst of one second's worth
 */
public record ConsoleConfig(int chunkBytes, Duration linger, long maxBytesPerIteration, int tailBytes,
                            long bytesPerSecond) {

    public static final int DEFAULT_CHUNK_BYTES = 4096;
    public static final Duration DEFAULT_LINGER = Duration.ofMillis(50);
    public static final long DEFAULT_MAX_BYTES_PER_ITERATION = 1024 * 1024;
    public static final int DEFAULT_TAIL_BYTES = 64 * 1024;
    public static final long DEFAULT_BYTES_PER_SECOND = 256 * 1024;

    public ConsoleConfig {
        if (chunkBytes < 16) {
            throw new IllegalArgumentException("aegis.worker.output.chunk-bytes must be at least 16");
        }
        if (linger == null || linger.isNegative() || linger.isZero()) {
            throw new IllegalArgumentException("aegis.worker.output.linger-ms must be positive");
        }
        if (tailBytes < chunkBytes) {
            throw new IllegalArgumentException("aegis.worker.output.tail-bytes must be at least chunk-bytes ("
                    + chunkBytes + ")");
        }
        if (maxBytesPerIteration < tailBytes) {
            throw new IllegalArgumentException("aegis.worker.output.max-bytes-per-iteration must be at least "
                    + "tail-bytes (" + tailBytes + ")");
        }
        if (bytesPerSecond < chunkBytes) {
            throw new IllegalArgumentException("aegis.worker.output.bytes-per-second must be at least chunk-bytes ("
                    + chunkBytes + ")");
        }
    }

    public static ConsoleConfig defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** @param output the {@code aegis.worker.output} node (any key may be missing: its default applies) */
    public static ConsoleConfig from(Config output) {
        Builder b = builder();
        output.get("chunk-bytes").asInt().ifPresent(b::chunkBytes);
        output.get("linger-ms").asLong().map(Duration::ofMillis).ifPresent(b::linger);
        output.get("max-bytes-per-iteration").asLong().ifPresent(b::maxBytesPerIteration);
        output.get("tail-bytes").asInt().ifPresent(b::tailBytes);
        output.get("bytes-per-second").asLong().ifPresent(b::bytesPerSecond);
        return b.build();
    }

    public Builder toBuilder() {
        return builder().chunkBytes(chunkBytes).linger(linger).maxBytesPerIteration(maxBytesPerIteration)
                .tailBytes(tailBytes).bytesPerSecond(bytesPerSecond);
    }

    /** Starts from every default. */
    public static final class Builder {
        private int chunkBytes = DEFAULT_CHUNK_BYTES;
        private Duration linger = DEFAULT_LINGER;
        private long maxBytesPerIteration = DEFAULT_MAX_BYTES_PER_ITERATION;
        private int tailBytes = DEFAULT_TAIL_BYTES;
        private long bytesPerSecond = DEFAULT_BYTES_PER_SECOND;

        private Builder() {
        }

        public Builder chunkBytes(int v) {
            chunkBytes = v;
            return this;
        }

        public Builder linger(Duration v) {
            linger = v;
            return this;
        }

        public Builder maxBytesPerIteration(long v) {
            maxBytesPerIteration = v;
            return this;
        }

        public Builder tailBytes(int v) {
            tailBytes = v;
            return this;
        }

        public Builder bytesPerSecond(long v) {
            bytesPerSecond = v;
            return this;
        }

        public ConsoleConfig build() {
            return new ConsoleConfig(chunkBytes, linger, maxBytesPerIteration, tailBytes, bytesPerSecond);
        }
    }
}
