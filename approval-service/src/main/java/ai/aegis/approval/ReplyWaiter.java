package ai.aegis.approval;

import ai.aegis.schemas.approval.ApprovalReply;
import ai.aegis.topology.serde.WireReaders;
import org.apache.kafka.clients.consumer.ConsumerRecord;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Matches the owner's replies to the approve/reject calls waiting on this node. One shared tail over the replies
 * topic feeds {@link #onRecord} (never a consumer per request); only replies keyed by this node's id are looked at,
 * and a reply nobody waits for any more (the call gave up, or an earlier process with the same id) is dropped.
 */
public final class ReplyWaiter {

    private final String nodeId;
    private final Map<String, CompletableFuture<ApprovalReply>> waiting = new ConcurrentHashMap<>();

    public ReplyWaiter(String nodeId) {
        this.nodeId = nodeId;
    }

    /** Registers interest before the command is sent, so that even an instant reply finds its future. */
    public CompletableFuture<ApprovalReply> expect(String commandId) {
        return waiting.computeIfAbsent(commandId, id -> new CompletableFuture<>());
    }

    public void forget(String commandId) {
        waiting.remove(commandId);
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
        ApprovalReply reply = WireReaders.APPROVAL_REPLY.read(record.value());
        CompletableFuture<ApprovalReply> future = waiting.remove(reply.commandId());
        if (future != null) {
            future.complete(reply);
        }
    }

    /** Calls still waiting (package-private: the tests check that none is left behind). */
    int waitingCount() {
        return waiting.size();
    }
}
