package ai.aegis.schemas.agent;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A deployed agent as held in the registry topic and served by {@code GET /v1/agents/{id}}.
 *
 * @param manifest the manifest as deployed, in its JSON form
 */
public record AgentRecord(String id, String name, String version, String description, String status,
                          List<String> tags, Map<String, String> labels, Instant createdAt, Instant updatedAt,
                          JsonNode manifest) {

    public static final String ACTIVE = "active";

    /** The list view leaves the manifest out. */
    public AgentRecord withoutManifest() {
        return new AgentRecord(id, name, version, description, status, tags, labels, createdAt, updatedAt, null);
    }

    public AgentManifest parsedManifest() {
        return AgentManifests.fromTree(manifest);
    }
}
