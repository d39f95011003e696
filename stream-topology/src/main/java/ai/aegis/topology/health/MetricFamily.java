package ai.aegis.topology.health;

import java.util.Map;
import java.util.function.Supplier;

/**
 * A labelled metric family a service keeps and the process's {@code /metrics} renders: read when rendered, one series
 * per entry of {@code values}, labelled {@code label="<key>"}. It lets a service count without knowing the listener
 * that exposes its counts.
 *
 * @param counter true for a count that only grows, false for a level
 */
public record MetricFamily(String name, String help, boolean counter, String label,
                           Supplier<Map<String, ? extends Number>> values) {
}
