package ai.aegis.topology.reply;

import ai.aegis.topology.serde.WireReader;
import ai.aegis.topology.serde.WireReaders;
import org.apache.kafka.clients.consumer.ConsumerRecord;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Matches the replies to the calls waiting on this node, for request and reply over Kafka (an approval's decision,
 * a stimulus's routing): the call registers its correlation id, sends its command, and waits (bounded) on the
 * future. One shared tail over the replies topic feeds {@link #onRecord} (never a consumer per request); only
 * replies keyed by this node's id are looked at, and a reply nobody waits for any more (the call gave up, or an
 * earlier process with the same id) is dropped. The waiting calls are bounded by the listener's requests in flight.
 *
 * @param <R> the reply record
 */
public final class ReplyWaiter<R> {

    private final String nodeId;
    private final WireReader<R> reader;
    private final Function<R, String> correlationId;
    private final Map<String, CompletableFuture<R>> waiting = new ConcurrentHashMap<>();

    /**
     * @param reader        reads a reply (and refuses an incomplete one)
     * @param correlationId the id of the call a reply answers
     */
    public ReplyWaiter(String nodeId, WireReader<R> reader, Function<R, String> correlationId) {
        this.nodeId = nodeId;
        this.reader = reader;
        this.correlationId = correlationId;
    }

    /** Registers interest before the command is sent, so that even an instant reply finds its future. */
    public CompletableFuture<R> expect(String id) {
        return waiting.computeIfAbsent(id, key -> new CompletableFuture<>());
    }

    public void forget(String id) {
        waiting.remove(id);
    }

    /**
     * The tail's handler. A reply addressed to another node is not looked at (that node reads it); one addressed to
     * nobody (no key), or to this node but not a complete reply, is refused.
     *
     * @throws ai.aegis.topology.serde.MalformedRecordException for a record it refuses (the tail dead-letters it)
     */
    public void onRecord(ConsumerRecord<String, byte[]> record) {
        if (!nodeId.equals(WireReaders.key(record))) {
            return;
        }
        R reply = reader.read(record.value());
        CompletableFuture<R> future = waiting.remove(correlationId.apply(reply));
        if (future != null) {
            future.complete(reply);
        }
    }

    /** Calls still waiting (the tests check that none is left behind). */
    public int waitingCount() {
        return waiting.size();
    }
}
