package ai.aegis.schemas.stimulus;

import java.time.Instant;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A direct route: stimuli from {@code source} start {@code workflow}. The value of a record on
 * {@code <prefix>.stimulus.routes.v1}, keyed by the source (a tombstone removes the route), and the body of
 * {@code GET /v1/stimuli/routes/{source}}.
 *
 * @param source    the source name, lower-case: a webhook's path segment, or {@code http_api}
 * @param workflow  the name of the workflow it starts (checked when the route is set, and again when a stimulus is
 *                  routed: a workflow deleted since answers {@code unknown_workflow})
 * @param updatedAt when the route was last set
 */
public record StimulusRoute(String source, String workflow, Instant updatedAt) {

    /** What a source name may be: the reference's rule (non-empty, no {@code /}, no whitespace), and short. */
    public static final Pattern SOURCE_NAME = Pattern.compile("[^/\\s]{1,128}");

    public StimulusRoute {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(workflow, "workflow");
        Objects.requireNonNull(updatedAt, "updatedAt");
    }

    /**
     * A source name as routes and deduplication key it: lower-cased (sources match case-insensitively).
     *
     * @throws IllegalArgumentException when it is empty, too long, or holds {@code /} or whitespace
     */
    public static String normaliseSource(String source) {
        if (source == null || !SOURCE_NAME.matcher(source).matches()) {
            throw new IllegalArgumentException("a source name is 1 to 128 characters without '/' or whitespace");
        }
        return source.toLowerCase(Locale.ROOT);
    }
}
