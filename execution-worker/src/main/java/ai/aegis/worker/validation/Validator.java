package ai.aegis.worker.validation;

/** One entry of {@code spec.execution.validation}, ready to judge an iteration's output. */
public interface Validator {

    /** The manifest type name of this validator. */
    String type();

    /**
     * Judges one iteration. Validators never throw for a bad output: that is a failed result with a reason.
     *
     * @throws InterruptedException when the worker is shutting down or the execution is cancelled mid-validation
     */
    ValidationResult validate(ValidationInput in) throws InterruptedException;
}
