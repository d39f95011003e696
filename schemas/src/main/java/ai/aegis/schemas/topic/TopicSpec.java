package ai.aegis.schemas.topic;

import java.util.Map;

/**
 * One topic of the catalogue: its full name, how records are keyed, and how it is created.
 *
 * @param name        full topic name, prefix included
 * @param partitions  partition count used when the topic is created
 * @param compacted   true for log-compacted topics (latest value per key wins)
 * @param retentionMs retention for deleted-policy topics, -1 for forever
 * @param key         what the record key is, for analysts
 * @param valueSchema the JSON Schema resource describing record values
 */
public record TopicSpec(String name, int partitions, boolean compacted, long retentionMs, String key,
                        String valueSchema) {

    public Map<String, String> configs() {
        return compacted
                ? Map.of("cleanup.policy", "compact", "min.compaction.lag.ms", "0")
                : Map.of("cleanup.policy", "delete", "retention.ms", Long.toString(retentionMs));
    }
}
