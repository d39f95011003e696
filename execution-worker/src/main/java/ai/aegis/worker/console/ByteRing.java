package ai.aegis.worker.console;

/**
 * The newest {@code capacity} bytes of a stream: appending past the capacity drops the oldest bytes and counts them.
 * Not thread-safe (its owner locks).
 */
final class ByteRing {

    private final byte[] buffer;
    private int head;
    private int size;
    /** The byte just before {@link #head} was dropped and was not a newline: the ring starts inside a line. */
    private boolean startsMidLine;

    ByteRing(int capacity) {
        buffer = new byte[capacity];
    }

    int size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    boolean startsMidLine() {
        return startsMidLine;
    }

    byte at(int i) {
        return buffer[(head + i) % buffer.length];
    }

    /** @return how many old bytes were dropped to make room */
    long append(byte[] bytes) {
        return append(bytes, bytes.length);
    }

    /** The first {@code length} bytes of {@code bytes}; returns how many old bytes were dropped to make room. */
    long append(byte[] bytes, int length) {
        int capacity = buffer.length;
        if (length >= capacity) {
            int cut = length - capacity;
            long dropped = size + (long) cut;
            if (dropped > 0) {
                startsMidLine = (cut > 0 ? bytes[cut - 1] : at(size - 1)) != '\n';
            }
            System.arraycopy(bytes, cut, buffer, 0, capacity);
            head = 0;
            size = capacity;
            return dropped;
        }
        int overflow = size + length - capacity;
        if (overflow > 0) {
            startsMidLine = at(overflow - 1) != '\n';
            head = (head + overflow) % capacity;
            size -= overflow;
        }
        int tail = (head + size) % capacity;
        int first = Math.min(length, capacity - tail);
        System.arraycopy(bytes, 0, buffer, tail, first);
        System.arraycopy(bytes, first, buffer, 0, length - first);
        size += length;
        return Math.max(0, overflow);
    }

    /** Index of the first {@code b} at or after {@code from} and before {@code to}, or -1. */
    int indexOf(byte b, int from, int to) {
        for (int i = from; i < to; i++) {
            if (at(i) == b) {
                return i;
            }
        }
        return -1;
    }

    /** Index of the last {@code b} before {@code to}, or -1. */
    int lastIndexOf(byte b, int to) {
        for (int i = to - 1; i >= 0; i--) {
            if (at(i) == b) {
                return i;
            }
        }
        return -1;
    }

    /** The first {@code n} bytes, without removing them. */
    byte[] copy(int n) {
        byte[] out = new byte[n];
        int first = Math.min(n, buffer.length - head);
        System.arraycopy(buffer, head, out, 0, first);
        System.arraycopy(buffer, 0, out, first, n - first);
        return out;
    }

    /** Removes the first {@code n} bytes: they were written, or skipped on purpose (not lost by overflow). */
    void drop(int n) {
        head = (head + n) % buffer.length;
        size -= n;
        startsMidLine = false;
        if (size == 0) {
            head = 0;
        }
    }
}
