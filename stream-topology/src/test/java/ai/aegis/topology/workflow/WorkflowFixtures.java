package ai.aegis.topology.workflow;

import ai.aegis.schemas.workflow.WorkflowManifests;
import ai.aegis.schemas.workflow.WorkflowRecord;

import java.time.Instant;

/** Workflows for the engine's tests, as the registry would hold them. */
final class WorkflowFixtures {

    static final Instant REGISTERED = Instant.parse("2026-03-01T09:00:00Z");

    /**
     * Agent {@code drafter} -> Human {@code review} -> approved: Agent {@code publisher} (terminal); rejected: Agent
     * {@code reviser} -> always back to {@code review}.
     */
    static final String REVIEW = """
            apiVersion: 100monkeys.ai/v1
            kind: Workflow
            metadata: {name: review-workflow, version: "2.1.0"}
            spec:
              initial_state: drafter
              context: {audience: developers}
              max_steps: %d
              states:
                drafter:
                  kind: Agent
                  agent: drafter
                  input: "Announce {{workflow.input}} to {{context.audience}}"
                  transitions: [{condition: on_success, target: review}]
                review:
                  kind: Human
                  prompt: "Approve this? {{drafter.output}}"
                  timeout: 90s
                  transitions:
                    - {condition: approved, target: publisher}
                    - {condition: rejected, target: reviser}
                reviser:
                  kind: Agent
                  agent: reviser
                  input: "Fix: {{review.feedback}} in {{drafter.output}}"
                  transitions: [{condition: always, target: review}]
                publisher:
                  kind: Agent
                  agent: publisher
                  input: "Publish {{reviser.output}}{{drafter.output}}"
                  transitions: []
            """;

    private WorkflowFixtures() {
    }

    static WorkflowRecord review() {
        return review(1000);
    }

    static WorkflowRecord review(int maxSteps) {
        return record(REVIEW.formatted(maxSteps));
    }

    static WorkflowRecord record(String yaml) {
        WorkflowManifests.ParsedWorkflow parsed = WorkflowManifests.parse(yaml);
        return new WorkflowRecord(parsed.manifest().name(), parsed.manifest().metadata().version(),
                parsed.manifest().metadata().description(), parsed.tree(), yaml, REGISTERED, REGISTERED);
    }
}
