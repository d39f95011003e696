package ai.aegis.topology.health;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The state of one component and a few facts that explain it ({@code lag}, {@code error}, ...), as {@code
 * /health/ready} shows it. Readiness needs no token, so details hold states, counts and exception class names,
 * never data or messages (which may name hosts or carry record contents).
 *
 * @param details in the order they are shown; values are strings, numbers or booleans
 */
public record ComponentHealth(HealthState state, Map<String, Object> details) {

    public ComponentHealth {
        Objects.requireNonNull(state, "state");
        details = details == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(details));
    }

    public static ComponentHealth up() {
        return new ComponentHealth(HealthState.UP, Map.of());
    }

    /** Up or down, from a liveness flag. */
    public static ComponentHealth of(boolean up) {
        return new ComponentHealth(up ? HealthState.UP : HealthState.DOWN, Map.of());
    }

    public boolean isUp() {
        return state == HealthState.UP;
    }

    /** The same state with one more detail. */
    public ComponentHealth with(String key, Object value) {
        Map<String, Object> more = new LinkedHashMap<>(details);
        more.put(key, value);
        return new ComponentHealth(state, more);
    }

    /** As {@code /health/ready} writes it: {@code {"state": "up", <details>}}. */
    public Map<String, Object> toJson() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("state", state.wireName());
        json.putAll(details);
        return json;
    }
}
