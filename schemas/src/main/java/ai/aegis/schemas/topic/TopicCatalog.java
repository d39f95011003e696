package ai.aegis.schemas.topic;

import java.util.List;
import java.util.Objects;

/**
 * The one place topic names are written. Names are {@code <prefix>.<aggregate>.<kind>.v<version>}; the prefix
 * defaults to {@code aegis} and may be changed (one cluster shared by several installations, or isolated tests).
 */
public final class TopicCatalog {

    public static final String DEFAULT_PREFIX = "aegis";
    private static final long FOREVER = -1L;

    private final String prefix;
    private final int partitions;

    public TopicCatalog(String prefix, int partitions) {
        Objects.requireNonNull(prefix, "prefix");
        if (!prefix.matches("[a-zA-Z0-9._-]+")) {
            throw new IllegalArgumentException("topic prefix may hold only letters, digits, '.', '_' and '-': " + prefix);
        }
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be at least 1");
        }
        this.prefix = prefix;
        this.partitions = partitions;
    }

    public static TopicCatalog defaults() {
        return new TopicCatalog(DEFAULT_PREFIX, 6);
    }

    public String prefix() {
        return prefix;
    }

    /** Agent registry: compacted, keyed by agent id, a tombstone deletes an agent. */
    public TopicSpec agents() {
        return new TopicSpec(prefix + ".agents.v1", 1, true, FOREVER, "agent id (UUID)", "agent-record.schema.json");
    }

    /** Execution requests from the ingress to the workers, keyed by execution id. */
    public TopicSpec executionRequests() {
        return new TopicSpec(prefix + ".execution.requests.v1", partitions, false, FOREVER, "execution id (UUID)",
                "execution-request.schema.json");
    }

    /** Execution events from the workers, keyed by execution id so that one execution's events stay in order. */
    public TopicSpec executionEvents() {
        return new TopicSpec(prefix + ".execution.events.v1", partitions, false, FOREVER, "execution id (UUID)",
                "execution-event.schema.json");
    }

    /** Commands to running executions (cancel), keyed by execution id; kept a week. */
    public TopicSpec executionCommands() {
        return new TopicSpec(prefix + ".execution.commands.v1", partitions, false, 7L * 24 * 3600 * 1000,
                "execution id (UUID)", "execution-command.schema.json");
    }

    public List<TopicSpec> all() {
        return List.of(agents(), executionRequests(), executionEvents(), executionCommands());
    }
}
