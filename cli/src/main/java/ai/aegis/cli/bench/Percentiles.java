package ai.aegis.cli.bench;

import java.util.ArrayList;
import java.util.List;

/** The p50 and p99 of one latency in each repetition, collected as the repetitions are measured. */
final class Percentiles {

    private final List<Double> p50 = new ArrayList<>();
    private final List<Double> p99 = new ArrayList<>();

    /** Adds one repetition's samples; @return their summary */
    Summary add(List<Double> samples) {
        Summary s = Summary.of(samples);
        p50.add(s.median());
        p99.add(s.p99());
        return s;
    }

    List<Double> p50() {
        return List.copyOf(p50);
    }

    List<Double> p99() {
        return List.copyOf(p99);
    }
}
