package ai.aegis.topology.workflow;

import ai.aegis.topology.serde.WireReaders;
import ai.aegis.schemas.workflow.WorkflowRecord;

import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** A node's copy of the workflow registry, folded from the compacted workflows topic (keyed by workflow name). */
public final class WorkflowRegistryView {

    private final Map<String, WorkflowRecord> byName = new ConcurrentHashMap<>();

    /**
     * @param value the record value, or null for a tombstone
     * @throws ai.aegis.topology.serde.MalformedRecordException when the value is not a complete workflow record
     */
    public void onRecord(String name, byte[] value) {
        if (value == null) {
            byName.remove(name);
        } else {
            byName.put(name, WireReaders.WORKFLOW.read(value));
        }
    }

    public Optional<WorkflowRecord> get(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    public List<WorkflowRecord> all() {
        return byName.values().stream().sorted(Comparator.comparing(WorkflowRecord::name)).toList();
    }
}
