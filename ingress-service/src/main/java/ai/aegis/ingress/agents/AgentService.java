package ai.aegis.ingress.agents;

import ai.aegis.http.BadRequest;
import ai.aegis.ingress.registry.RegistryWriter;
import ai.aegis.schemas.agent.AgentManifest;
import ai.aegis.schemas.agent.AgentManifests;
import ai.aegis.schemas.agent.AgentRecord;
import ai.aegis.schemas.json.Json;
import ai.aegis.schemas.topic.CloudEventHeaders;
import ai.aegis.topology.agents.AgentRegistryView;
import ai.aegis.topology.kafka.DurablePublisher;

import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/**
 * Deploys and removes agents by writing the compacted registry topic (through a {@link RegistryWriter}, which
 * waits until this node's view has read the write).
 *
 * <p>Redeploying a name keeps its id, so executions and workflows that name the agent keep working; the same
 * version needs {@code force}.
 */
public final class AgentService {

    public static final String DEPLOYED_TYPE = CloudEventHeaders.type("agent", "agent_deployed");
    public static final String DELETED_TYPE = CloudEventHeaders.type("agent", "agent_deleted");

    private final RegistryWriter writer;
    private final AgentRegistryView registry;

    public AgentService(RegistryWriter writer, AgentRegistryView registry) {
        this.writer = writer;
        this.registry = registry;
    }

    /** What a deploy did. */
    public record Deployment(AgentRecord agent, boolean created) {
    }

    public Deployment deploy(String body, boolean force) throws DurablePublisher.UnavailableException {
        AgentManifests.ParsedManifest parsed = AgentManifests.parse(body);
        AgentManifest m = parsed.manifest();
        Optional<AgentRecord> existing = registry.byName(m.metadata().name());
        if (existing.isPresent() && existing.get().version().equals(m.metadata().version()) && !force) {
            throw new BadRequest(409, "Agent '" + m.metadata().name() + "' version " + m.metadata().version()
                    + " is already deployed; use ?force=true to redeploy it");
        }
        Instant now = Json.now();
        AgentRecord record = new AgentRecord(
                existing.map(AgentRecord::id).orElseGet(() -> UUID.randomUUID().toString()),
                m.metadata().name(), m.metadata().version(), m.metadata().description(), AgentRecord.ACTIVE,
                m.metadata().tags(), m.metadata().labels(),
                existing.map(AgentRecord::createdAt).orElse(now), now, parsed.tree());
        writer.write(record.id(), Json.writeBytes(record), DEPLOYED_TYPE);
        return new Deployment(record, existing.isEmpty());
    }

    public boolean delete(String id) throws DurablePublisher.UnavailableException {
        if (registry.get(id).isEmpty()) {
            return false;
        }
        writer.write(id, null, DELETED_TYPE);
        return true;
    }
}
