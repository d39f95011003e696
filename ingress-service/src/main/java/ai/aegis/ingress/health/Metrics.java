package ai.aegis.ingress.health;

import java.lang.management.ManagementFactory;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.DoubleSupplier;

/**
 * A small Prometheus registry: counters and gauges with fixed names, rendered in the text exposition format.
 * Deliberately tiny: it needs no metrics framework and allocates nothing on the request path but an increment.
 */
public final class Metrics {

    private record Gauge(String help, DoubleSupplier value) {
    }

    private record Counter(String help, LongAdder adder) {
    }

    /** Counters by series ({@code name} or {@code name{label="value"}}). */
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();
    private final Map<String, Gauge> gauges = new ConcurrentHashMap<>();

    public Metrics() {
        gauge("jvm_memory_used_bytes", "Heap memory in use.",
                () -> ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        gauge("jvm_threads_live", "Live platform threads.", () -> ManagementFactory.getThreadMXBean().getThreadCount());
    }

    public LongAdder counter(String name, String help) {
        return counters.computeIfAbsent(name, n -> new Counter(help, new LongAdder())).adder();
    }

    /** One series of a labelled counter family, e.g. {@code aegis_http_responses_total{status="2xx"}}. */
    public LongAdder counter(String name, String help, String label, String value) {
        return counter(name + "{" + label + "=\"" + value + "\"}", help);
    }

    public void gauge(String name, String help, DoubleSupplier value) {
        gauges.put(name, new Gauge(help, value));
    }

    public String render() {
        StringBuilder sb = new StringBuilder();
        java.util.Set<String> described = new java.util.HashSet<>();
        counters.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> {
            String family = e.getKey().contains("{") ? e.getKey().substring(0, e.getKey().indexOf('{')) : e.getKey();
            if (described.add(family)) {
                sb.append("# HELP ").append(family).append(' ').append(e.getValue().help()).append('\n')
                        .append("# TYPE ").append(family).append(" counter\n");
            }
            sb.append(e.getKey()).append(' ').append(e.getValue().adder().sum()).append('\n');
        });
        gauges.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> sb
                .append("# HELP ").append(e.getKey()).append(' ').append(e.getValue().help()).append('\n')
                .append("# TYPE ").append(e.getKey()).append(" gauge\n")
                .append(e.getKey()).append(' ').append(format(e.getValue().value().getAsDouble())).append('\n'));
        return sb.toString();
    }

    private static String format(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }
}
