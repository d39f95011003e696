package ai.aegis.schemas.workflow;

import ai.aegis.schemas.topic.CloudEventHeaders;
import com.fasterxml.jackson.databind.JsonNode;

import java.time.Instant;

/**
 * A registered workflow as held in the compacted registry topic (keyed by workflow name; a tombstone deletes it)
 * and served by {@code GET /v1/workflows/{name}}.
 *
 * @param manifest the manifest as registered, in its JSON form
 * @param yaml     the source text as posted (YAML or JSON), so that GET returns the author's comments and layout
 */
public record WorkflowRecord(String name, String version, String description, JsonNode manifest, String yaml,
                             Instant createdAt, Instant updatedAt) {

    /** {@code ce_type} of a registration (first and every re-registration) and of a deletion (a tombstone). */
    public static final String CE_REGISTERED = CloudEventHeaders.type("workflow", "workflow_registered");
    public static final String CE_DELETED = CloudEventHeaders.type("workflow", "workflow_deleted");

    /** The list view leaves the manifest and its source out. */
    public WorkflowRecord summary() {
        return new WorkflowRecord(name, version, description, null, null, createdAt, updatedAt);
    }

    /** Validates the kept manifest again (it was valid when registered; the rules may have tightened since). */
    public WorkflowManifest parsedManifest() {
        return WorkflowManifests.fromTree(manifest);
    }
}
