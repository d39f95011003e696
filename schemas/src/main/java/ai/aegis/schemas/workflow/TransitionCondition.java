package ai.aegis.schemas.workflow;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The conditions a transition may name ({@code condition:} in the manifest), with the rules the registry checks:
 * which parameter each needs and which state kinds it may follow. How the engine evaluates them is described on
 * each constant; the first transition (in manifest order) whose condition holds is taken.
 */
public enum TransitionCondition {

    /** Always holds. */
    ALWAYS("always"),
    /** The state succeeded: its execution completed, the container exited 0, or the human approved. */
    ON_SUCCESS("on_success"),
    /** The mirror of {@link #ON_SUCCESS}. */
    ON_FAILURE("on_failure"),
    /** ContainerRun only: the command exited with code 0. */
    EXIT_CODE_ZERO("exit_code_zero"),
    /** ContainerRun only: the command exited with another code (or did not exit: timed out, failed to start). */
    EXIT_CODE_NON_ZERO("exit_code_non_zero"),
    /** The step's score is greater than {@code threshold} (0..1). */
    SCORE_ABOVE("score_above"),
    /** The step's score is less than {@code threshold} (0..1). */
    SCORE_BELOW("score_below"),
    /** Human only: the response equals {@code value}. */
    INPUT_EQUALS("input_equals"),
    /** Human only: the response means yes ({@link #meansYes}); an approval answers "approved". */
    INPUT_EQUALS_YES("input_equals_yes"),
    /** Human only: the response means no ({@link #meansNo}); a rejection answers "rejected". */
    INPUT_EQUALS_NO("input_equals_no"),
    /** Human only: the response means yes: approved, or timed out with a default response meaning yes. */
    APPROVED("approved"),
    /** Human only: the response means no: rejected, or timed out with a default response meaning no. */
    REJECTED("rejected");

    private static final Set<TransitionCondition> HUMAN_ONLY =
            EnumSet.of(INPUT_EQUALS, INPUT_EQUALS_YES, INPUT_EQUALS_NO, APPROVED, REJECTED);
    private static final Set<TransitionCondition> CONTAINER_ONLY = EnumSet.of(EXIT_CODE_ZERO, EXIT_CODE_NON_ZERO);

    // One definition of yes and no for the engine, the approval service and the docs: the reference's TS worker
    // takes yes/y/1, its docs add approve/approved/true; approvals answer "approved"/"rejected".
    private static final Set<String> YES = Set.of("yes", "y", "1", "true", "approve", "approved");
    private static final Set<String> NO = Set.of("no", "n", "0", "false", "reject", "rejected");

    private final String wireName;

    TransitionCondition(String wireName) {
        this.wireName = wireName;
    }

    /** The name as written in manifests, e.g. {@code score_above}. */
    public String wireName() {
        return wireName;
    }

    public static Optional<TransitionCondition> fromWire(String name) {
        return Arrays.stream(values()).filter(c -> c.wireName.equals(name)).findFirst();
    }

    public static List<String> wireNames() {
        return Arrays.stream(values()).map(TransitionCondition::wireName).toList();
    }

    /** Whether a Human state's response means yes (case and surrounding blanks ignored). */
    public static boolean meansYes(String response) {
        return response != null && YES.contains(response.strip().toLowerCase(java.util.Locale.ROOT));
    }

    /** Whether a Human state's response means no (case and surrounding blanks ignored). */
    public static boolean meansNo(String response) {
        return response != null && NO.contains(response.strip().toLowerCase(java.util.Locale.ROOT));
    }

    /** True for {@code score_above} and {@code score_below}, which need a {@code threshold}. */
    public boolean needsThreshold() {
        return this == SCORE_ABOVE || this == SCORE_BELOW;
    }

    /** True for {@code input_equals}, which needs a {@code value}. */
    public boolean needsValue() {
        return this == INPUT_EQUALS;
    }

    /**
     * @param stateKind {@code Agent}, {@code Human} or {@code ContainerRun}
     * @return whether a state of that kind may carry a transition with this condition
     */
    public boolean allowedAfter(String stateKind) {
        if (HUMAN_ONLY.contains(this)) {
            return WorkflowManifest.HUMAN.equals(stateKind);
        }
        if (CONTAINER_ONLY.contains(this)) {
            return WorkflowManifest.CONTAINER_RUN.equals(stateKind);
        }
        return true;
    }
}
