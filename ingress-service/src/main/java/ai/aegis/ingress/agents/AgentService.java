package ai.aegis.ingress.agents;

import ai.aegis.schemas.topic.CloudEventHeaders;
import ai.aegis.schemas.topic.CloudEventHeaders;
import ai.aegis.ingress.http.BadRequest;
import ai.aegis.schemas.agent.AgentManifest;
import ai.aegis.schemas.agent.AgentManifests;
import ai.aegis.schemas.agent.AgentRecord;
import ai.aegis.schemas.json.Json;
import ai.aegis.topology.agents.AgentRegistryView;
import ai.aegis.topology.kafka.DurablePublisher;
import ai.aegis.topology.tail.TopicTail;
import org.apache.kafka.clients.producer.RecordMetadata;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/**
 * Deploys and removes agents by writing the compacted registry topic, then waits until this node's view has read
 * the write, so that a read right after a deploy sees it.
 *
 * <p>Redeploying a name keeps its id (notes §4.2); the same version needs {@code force}.
 */
public final class AgentService {

    public static final String DEPLOYED_TYPE = CloudEventHeaders.type("agent", "agent_deployed");
    public static final String DELETED_TYPE = CloudEventHeaders.type("agent", "agent_deleted");

    private final DurablePublisher publisher;
    private final AgentRegistryView registry;
    private final TopicTail tail;
    private final String topic;
    private final Duration readYourWrites;

    public AgentService(DurablePublisher publisher, AgentRegistryView registry, TopicTail tail, String topic,
                        Duration readYourWrites) {
        this.publisher = publisher;
        this.registry = registry;
        this.tail = tail;
        this.topic = topic;
        this.readYourWrites = readYourWrites;
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
        write(record.id(), Json.writeBytes(record), DEPLOYED_TYPE);
        return new Deployment(record, existing.isEmpty());
    }

    public boolean delete(String id) throws DurablePublisher.UnavailableException {
        if (registry.get(id).isEmpty()) {
            return false;
        }
        write(id, null, DELETED_TYPE);
        return true;
    }

    private void write(String key, byte[] value, String type) throws DurablePublisher.UnavailableException {
        RecordMetadata md = publisher.publish(topic, key, value, type);
        try {
            if (!tail.awaitApplied(md.topic(), md.partition(), md.offset(), readYourWrites)) {
                // Durable but not yet visible here: still a success, other reads catch up shortly.
                System.getLogger(AgentService.class.getName()).log(System.Logger.Level.WARNING,
                        "agent registry view lags behind its own write of " + key);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
