package ai.aegis.cli.bench;

import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * The outcome for one runtime: its measured samples, or why it was not measured.
 *
 * @param setup   how the runtime was configured (image, binds), for the report
 * @param problem null when measured; else why the runtime was skipped or failed
 */
public record RuntimeResult(String runtime, String setup, List<Sample> samples, String problem) {

    public RuntimeResult {
        samples = List.copyOf(samples);
    }

    static RuntimeResult measured(String runtime, String setup, List<Sample> samples) {
        return new RuntimeResult(runtime, setup, samples, null);
    }

    static RuntimeResult notMeasured(String runtime, String setup, String problem) {
        return new RuntimeResult(runtime, setup, List.of(), problem);
    }

    boolean ok() {
        return problem == null && !samples.isEmpty();
    }

    Summary firstCommand() {
        return summary(Sample::firstCommandMs);
    }

    Summary completed() {
        return summary(Sample::completedMs);
    }

    Summary summary(ToDoubleFunction<Sample> metric) {
        return Summary.of(samples.stream().map(s -> metric.applyAsDouble(s)).filter(d -> !Double.isNaN(d)).toList());
    }
}
