package ai.aegis.cli.bench;

import java.util.List;

/**
 * One figure of the ingress benchmark, measured once per repetition.
 *
 * @param name    the row's name in the report
 * @param unit    what the values are in ("req/s", "ms", "s", "KiB", "count", "cores", "×")
 * @param values  one value per repetition, in the order measured
 * @param meaning what the figure is and what it includes, for the report
 */
record Figure(String name, String unit, List<Double> values, String meaning) {

    Figure {
        values = List.copyOf(values);
    }

    Summary summary() {
        return Summary.of(values);
    }
}
