package ai.aegis.topology.readmodel;

import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.CompressionType;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.TtlDB;
import org.rocksdb.WriteOptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * A {@link ViewArchive} in RocksDB on local disk, with a retention: RocksDB's TTL mode drops what is older at
 * compaction, and a read checks the age itself (a compaction may not have run yet). Memory is bounded by the block
 * cache and the write buffers set here, not by what is archived; the disk holds roughly the views' bytes for the
 * retention (a finished execution's view is 0.5-2 KiB of JSON, compressed with LZ4).
 *
 * <p>The archive is a cache of the topics, not a source of truth: every node keeps its own, and a lost one is
 * rebuilt as the views read the topics again (what the topics still hold).
 *
 * <p>RocksDB allows one process per directory. A second view on the same data directory (two API nodes in one
 * test JVM, say) takes the next free {@code -N} directory rather than failing.
 */
public final class RocksViewArchive<V> implements ViewArchive<V> {

    /** Directories tried next to the configured one when it is held by another process. */
    private static final int MAX_SIBLINGS = 16;
    private static final long CACHE_BYTES = 8L << 20;
    private static final long WRITE_BUFFER_BYTES = 4L << 20;

    private final Path dir;
    private final Duration retention;
    private final Clock clock;
    private final Function<V, byte[]> write;
    private final Function<byte[], V> read;
    private final LRUCache cache;
    private final BloomFilter bloom;
    private final Options options;
    private final WriteOptions writeOptions;
    private final TtlDB db;

    /**
     * Opens (creating it when missing) the archive in {@code dir}, or in the first free sibling of it.
     *
     * @param write a view as bytes; {@code read} reads them back
     */
    public RocksViewArchive(Path dir, Duration retention, Clock clock, Function<V, byte[]> write,
                            Function<byte[], V> read) {
        if (retention.toSeconds() < 1) {
            throw new IllegalArgumentException("the retention of finished views must be at least a second: "
                    + retention);
        }
        this.retention = retention;
        this.clock = clock;
        this.write = write;
        this.read = read;
        RocksDB.loadLibrary();
        this.cache = new LRUCache(CACHE_BYTES);
        this.bloom = new BloomFilter(10);
        this.options = new Options().setCreateIfMissing(true).setWriteBufferSize(WRITE_BUFFER_BYTES)
                .setMaxWriteBufferNumber(2).setCompressionType(CompressionType.LZ4_COMPRESSION)
                .setTableFormatConfig(new BlockBasedTableConfig().setBlockCache(cache).setFilterPolicy(bloom));
        // the topics are the truth: a crash may lose the last writes, which the views fold again at the next start
        this.writeOptions = new WriteOptions().setSync(false);
        TtlDB opened = null;
        Path chosen = null;
        RocksDBException last = null;
        for (int i = 0; i < MAX_SIBLINGS && opened == null; i++) {
            Path candidate = i == 0 ? dir : dir.resolveSibling(dir.getFileName() + "-" + i);
            try {
                Files.createDirectories(candidate);
                opened = TtlDB.open(options, candidate.toString(), (int) Math.min(Integer.MAX_VALUE,
                        retention.toSeconds()), false);
                chosen = candidate;
            } catch (RocksDBException e) {
                last = e; // most likely held by another process: try the next one
            } catch (IOException e) {
                close(options, writeOptions, cache, bloom);
                throw new UncheckedIOException("cannot create the view archive " + candidate, e);
            }
        }
        if (opened == null) {
            close(options, writeOptions, cache, bloom);
            throw new IllegalStateException("cannot open the view archive in " + dir + " or a sibling: "
                    + (last == null ? "?" : last.getMessage()), last);
        }
        this.db = opened;
        this.dir = chosen;
    }

    /** The directory in use. */
    public Path dir() {
        return dir;
    }

    @Override
    public void put(String id, Archived<V> archived) {
        byte[] view = write.apply(archived.view());
        ByteBuffer b = ByteBuffer.allocate(8 + 4 + 8 + 8 + 4 + archived.attemptsFrom().size() * 12 + view.length);
        b.putLong(clock.millis()).putInt(archived.partition()).putLong(archived.firstId())
                .putLong(archived.lastId()).putInt(archived.attemptsFrom().size());
        archived.attemptsFrom().forEach((attempt, from) -> b.putInt(attempt).putLong(from));
        b.put(view);
        try {
            db.put(writeOptions, key(id), b.array());
        } catch (RocksDBException e) {
            throw new IllegalStateException("cannot archive " + id + " in " + dir + ": " + e.getMessage(), e);
        }
    }

    @Override
    public Optional<Archived<V>> get(String id) {
        byte[] value = value(id);
        if (value == null) {
            return Optional.empty();
        }
        ByteBuffer b = ByteBuffer.wrap(value);
        b.getLong();
        int partition = b.getInt();
        long firstId = b.getLong();
        long lastId = b.getLong();
        int attempts = b.getInt();
        Map<Integer, Long> attemptsFrom = new HashMap<>();
        for (int i = 0; i < attempts; i++) {
            attemptsFrom.put(b.getInt(), b.getLong());
        }
        V view = read.apply(Arrays.copyOfRange(value, b.position(), value.length));
        return Optional.of(new Archived<>(partition, firstId, lastId, attemptsFrom, view));
    }

    @Override
    public boolean contains(String id) {
        return value(id) != null;
    }

    /** The stored value when it is within the retention. */
    private byte[] value(String id) {
        byte[] value;
        try {
            value = db.get(key(id));
        } catch (RocksDBException e) {
            throw new IllegalStateException("cannot read " + id + " from the view archive " + dir + ": "
                    + e.getMessage(), e);
        }
        if (value == null || clock.millis() - ByteBuffer.wrap(value).getLong() > retention.toMillis()) {
            return null;
        }
        return value;
    }

    private static byte[] key(String id) {
        return id.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        db.close();
        close(options, writeOptions, cache, bloom);
    }

    private static void close(AutoCloseable... resources) {
        for (AutoCloseable r : resources) {
            try {
                r.close();
            } catch (Exception ignored) {
                // native handles: nothing to do
            }
        }
    }
}
