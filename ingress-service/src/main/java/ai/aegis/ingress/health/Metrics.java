package ai.aegis.ingress.health;

import java.lang.management.ManagementFactory;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.DoubleSupplier;
import java.util.function.Supplier;

/**
 * A small Prometheus registry: counters and gauges with fixed names, rendered in the text exposition format.
 * Deliberately tiny: it needs no metrics framework and allocates nothing on the request path but an increment.
 * A family may also be labelled by values that are only known when it is rendered (one series per consumer or per
 * tail), read from a supplier at that moment.
 */
public final class Metrics {

    private enum Type { COUNTER, GAUGE }

    /** One metric family: its help, its type, and its series by label set ({@code ""} for none). */
    private record Family(String help, Type type, Map<String, DoubleSupplier> series,
                          Supplier<Map<String, ? extends Number>> dynamic, String label) {
    }

    private final Map<String, Family> families = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> adders = new ConcurrentHashMap<>();

    public Metrics() {
        gauge("jvm_memory_used_bytes", "Heap memory in use.",
                () -> ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        gauge("jvm_threads_live", "Live platform threads.", () -> ManagementFactory.getThreadMXBean().getThreadCount());
    }

    public LongAdder counter(String name, String help) {
        return adder(name, help, "");
    }

    /** One series of a labelled counter family, e.g. {@code aegis_http_responses_total{status="2xx"}}. */
    public LongAdder counter(String name, String help, String label, String value) {
        return adder(name, help, labels(label, value));
    }

    public void gauge(String name, String help, DoubleSupplier value) {
        family(name, help, Type.GAUGE).series().put("", value);
    }

    /**
     * A labelled family whose series are read when rendered: one series per entry of the map {@code values} returns
     * then, labelled {@code label="<key>"}.
     *
     * @param counter true for a count that only grows (dead letters), false for a level (a lag)
     */
    public void family(String name, String help, boolean counter, String label,
                       Supplier<Map<String, ? extends Number>> values) {
        families.put(name, new Family(help, counter ? Type.COUNTER : Type.GAUGE, new ConcurrentHashMap<>(), values,
                label));
    }

    public String render() {
        StringBuilder sb = new StringBuilder();
        new TreeMap<>(families).forEach((name, f) -> {
            Map<String, Double> values = new TreeMap<>();
            f.series().forEach((labels, v) -> values.put(labels, v.getAsDouble()));
            if (f.dynamic() != null) {
                f.dynamic().get().forEach((key, v) -> values.put(labels(f.label(), key), v.doubleValue()));
            }
            sb.append("# HELP ").append(name).append(' ').append(f.help()).append('\n')
                    .append("# TYPE ").append(name).append(' ').append(f.type() == Type.COUNTER ? "counter" : "gauge")
                    .append('\n');
            values.forEach((labels, v) -> sb.append(name).append(labels).append(' ').append(format(v)).append('\n'));
        });
        return sb.toString();
    }

    private LongAdder adder(String name, String help, String labels) {
        return adders.computeIfAbsent(name + labels, k -> {
            LongAdder adder = new LongAdder();
            family(name, help, Type.COUNTER).series().put(labels, adder::sum);
            return adder;
        });
    }

    private Family family(String name, String help, Type type) {
        return families.computeIfAbsent(name, n -> new Family(help, type, new ConcurrentHashMap<>(), null, null));
    }

    /** {@code {label="value"}}, the value escaped as the exposition format asks. */
    private static String labels(String label, String value) {
        String escaped = value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
        return "{" + label + "=\"" + escaped + "\"}";
    }

    private static String format(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }
}
