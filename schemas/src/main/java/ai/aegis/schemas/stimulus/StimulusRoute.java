package ai.aegis.schemas.stimulus;

import java.time.Instant;
import java.util.Objects;

/**
 * A direct route: stimuli from {@code source} start {@code workflow}. The value of a record on
 * {@code <prefix>.stimulus.routes.v1}, keyed by the source (a tombstone removes the route), and the body of
 * {@code GET /v1/stimuli/routes/{source}}.
 *
 * @param source    the source name, lower-case ({@link StimulusSources#normalise}): a webhook's path segment, or {@code http_api}
 * @param workflow  the name of the workflow it starts (checked when the route is set, and again when a stimulus is
 *                  routed: a workflow deleted since answers {@code unknown_workflow})
 * @param updatedAt when the route was last set
 */
public record StimulusRoute(String source, String workflow, Instant updatedAt) {

    public StimulusRoute {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(workflow, "workflow");
        Objects.requireNonNull(updatedAt, "updatedAt");
    }
}
