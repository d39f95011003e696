package ai.aegis.topology.agents;

import ai.aegis.schemas.agent.AgentRecord;
import ai.aegis.topology.serde.WireReaders;

import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A node's copy of the agent registry, folded from the compacted agents topic (latest record per agent id wins, a
 * tombstone deletes). Every node reads the whole topic, so every node sees the same agents.
 */
public final class AgentRegistryView {

    private final Map<String, AgentRecord> byId = new ConcurrentHashMap<>();

    /**
     * @param value the record value, or null for a tombstone
     * @throws ai.aegis.topology.serde.MalformedRecordException when the value is not a complete agent record (the
     *                                                          view is unchanged; the tail dead-letters it)
     */
    public void onRecord(String agentId, byte[] value) {
        if (value == null) {
            byId.remove(agentId);
        } else {
            byId.put(agentId, WireReaders.AGENT.read(value));
        }
    }

    public Optional<AgentRecord> get(String id) {
        return Optional.ofNullable(byId.get(id));
    }

    public Optional<AgentRecord> byName(String name) {
        return byId.values().stream().filter(a -> a.name().equals(name)).findFirst();
    }

    public List<AgentRecord> all() {
        return byId.values().stream().sorted(Comparator.comparing(AgentRecord::name)).toList();
    }
}
