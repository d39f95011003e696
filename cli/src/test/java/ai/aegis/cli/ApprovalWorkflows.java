package ai.aegis.cli;

import java.util.List;

/**
 * The workflows with a human approval that several end-to-end tests run ({@link TestSystem#registerWorkflow},
 * {@link TestSystem#runWorkflow}), and their agents.
 */
public final class ApprovalWorkflows {

    /** The agents of {@link #draftReviewPublish}: each answers with the model alias {@code echo}, in one iteration. */
    public static final List<String> REVIEW_AGENTS = List.of("drafter", "publisher", "reviser");
    /** The publish state's input of {@link #draftReviewPublish} that ignores the reviewer's feedback. */
    public static final String PUBLISH_DRAFT = "Publish {{draft.output}}";

    private ApprovalWorkflows() {
    }

    /**
     * draft (Agent) -> review (Human) -> publish on approval, or revise (it sees the reason) on rejection.
     *
     * @param reviewExtras more keys of the review state ({@code timeout: 120s}; a second line indented by 6 spaces)
     * @param publishInput the publish state's input, e.g. {@link #PUBLISH_DRAFT}
     */
    public static String draftReviewPublish(String name, String reviewExtras, String publishInput) {
        return """
                apiVersion: 100monkeys.ai/v1
                kind: Workflow
                metadata: {name: %s, version: "1.0.0"}
                spec:
                  initial_state: draft
                  states:
                    draft:
                      kind: Agent
                      agent: drafter
                      input: "Draft about {{workflow.input}}"
                      transitions:
                        - {condition: on_success, target: review}
                    review:
                      kind: Human
                      prompt: "Please review: {{draft.output}}"
                      %s
                      transitions:
                        - {condition: approved, target: publish}
                        - {condition: rejected, target: revise}
                    publish:
                      kind: Agent
                      agent: publisher
                      input: "%s"
                      transitions: []
                    revise:
                      kind: Agent
                      agent: reviser
                      input: "Revise because: {{review.feedback}}"
                      transitions: []
                """.formatted(name, reviewExtras, publishInput);
    }

    /** Deploys {@link #REVIEW_AGENTS}. */
    public static void deployReviewAgents(TestSystem system) throws Exception {
        for (String agent : REVIEW_AGENTS) {
            system.deploy("""
                    {"apiVersion":"100monkeys.ai/v1","kind":"Agent","metadata":{"name":"%s","version":"1"},
                     "spec":{"runtime":{"model":"echo"},"task":{"prompt_template":"{{input}}"},
                             "execution":{"max_iterations":1}}}""".formatted(agent));
        }
    }

    /**
     * review (Human, prompt {@code Ship <input>?}) -> ship (the agent {@code shipper}) on approval.
     *
     * @param reviewExtras more keys of the review state ({@code timeout: 300s}), or ""
     */
    public static String reviewThenShip(String name, String reviewExtras) {
        return """
                apiVersion: 100monkeys.ai/v1
                kind: Workflow
                metadata: {name: %s, version: "1.0.0"}
                spec:
                  initial_state: review
                  states:
                    review:
                      kind: Human
                      prompt: "Ship {{workflow.input}}?"
                      %s
                      transitions:
                        - {condition: approved, target: ship}
                    ship:
                      kind: Agent
                      agent: shipper
                      input: "Ship {{workflow.input}}"
                      transitions: []
                """.formatted(name, reviewExtras);
    }
}
