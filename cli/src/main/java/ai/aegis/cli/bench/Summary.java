package ai.aegis.cli.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Order statistics of one metric, in milliseconds. Percentiles use the nearest-rank method (a value that was
 * measured, never an interpolation); the median is the usual one (mean of the two middle values for an even count).
 */
public record Summary(int count, double min, double median, double p90, double p99, double max) {

    public static Summary of(List<Double> values) {
        if (values.isEmpty()) {
            throw new IllegalArgumentException("no values to summarise");
        }
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int n = sorted.size();
        double median = n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
        return new Summary(n, sorted.getFirst(), median, rank(sorted, 90), rank(sorted, 99), sorted.getLast());
    }

    private static double rank(List<Double> sorted, int percentile) {
        int index = (int) Math.ceil(percentile / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, index));
    }
}
