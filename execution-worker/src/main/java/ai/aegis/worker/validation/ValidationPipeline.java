package ai.aegis.worker.validation;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The validators of an agent ({@code spec.execution.validation}), run in order on each iteration. The first failure
 * short-circuits, as the original does: a cheap exit-code check placed first spares a judge run on a crashed iteration.
 */
public final class ValidationPipeline {

    private static final ValidationPipeline EMPTY = new ValidationPipeline(List.of());

    private final List<Validator> validators;

    public ValidationPipeline(List<Validator> validators) {
        this.validators = List.copyOf(validators);
    }

    /**
     * Builds the pipeline from the manifest's parsed entries ({@code AgentManifest.Execution.validation()}).
     *
     * @param specs  the entries, each a map with a {@code type}; null or empty gives an empty pipeline
     * @param judges runs judge agents for {@code semantic} entries; may be null when no entry needs one
     * @throws IllegalArgumentException for an unknown type or a bad parameter, naming the entry and field
     *                                  ({@code validation[1].pattern: invalid regular expression: ...})
     */
    public static ValidationPipeline from(List<Map<String, Object>> specs, JudgeRunner judges) {
        if (specs == null || specs.isEmpty()) {
            return EMPTY;
        }
        List<Validator> built = new ArrayList<>(specs.size());
        for (int i = 0; i < specs.size(); i++) {
            Map<String, Object> fields = specs.get(i);
            if (fields == null) {
                throw new IllegalArgumentException("validation[" + i + "]: must be an object with a type");
            }
            Spec spec = new Spec(fields, i);
            String type = spec.requiredString("type");
            built.add(switch (type) {
                case ExitCodeValidator.TYPE -> ExitCodeValidator.from(spec);
                case JsonSchemaValidator.TYPE -> JsonSchemaValidator.from(spec);
                case RegexValidator.TYPE -> RegexValidator.from(spec);
                case SemanticValidator.TYPE -> SemanticValidator.from(spec, judges);
                case "multi_judge" -> throw spec.error("type",
                        "multi_judge is not supported by this worker yet; use one or more semantic entries");
                default -> throw spec.error("type", "unknown validator type '" + type
                        + "' (expected exit_code, json_schema, regex or semantic)");
            });
        }
        return new ValidationPipeline(built);
    }

    /**
     * Runs the validators in order and stops at the first that does not pass.
     *
     * @return one result per validator that ran; the last one is the failure when the iteration was rejected
     */
    public List<ValidationResult> run(ValidationInput in) throws InterruptedException {
        Objects.requireNonNull(in, "in");
        List<ValidationResult> results = new ArrayList<>(validators.size());
        for (Validator validator : validators) {
            ValidationResult result = validator.validate(in);
            results.add(result);
            if (!result.passed()) {
                break;
            }
        }
        return List.copyOf(results);
    }

    /** The rejecting result of a {@link #run}, if any. */
    public static Optional<ValidationResult> firstFailure(List<ValidationResult> results) {
        return results.stream().filter(r -> !r.passed()).findFirst();
    }

    public boolean isEmpty() {
        return validators.isEmpty();
    }

    /** The validator types, in run order (for logs and events). */
    public List<String> types() {
        return validators.stream().map(Validator::type).toList();
    }
}
