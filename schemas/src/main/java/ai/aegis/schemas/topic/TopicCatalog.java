package ai.aegis.schemas.topic;

import java.util.List;
import java.util.Objects;

/**
 * The one place topic names are written. Names are {@code <prefix>.<aggregate>.<kind>.v<version>}; the prefix
 * defaults to {@code aegis} and may be changed (one cluster shared by several installations, or isolated tests).
 */
public final class TopicCatalog {

    public static final String DEFAULT_PREFIX = "aegis";
    private static final long FOREVER = -1L;
    private static final long WEEK = 7L * 24 * 3600 * 1000;
    private static final long HOUR = 3600L * 1000;
    private static final long MONTH = 30L * 24 * 3600 * 1000;

    /** The key of the stimulus requests, accepted and outcomes topics. */
    private static final String STIMULUS_KEY = "deduplication key (64 hex), or stimulus id (UUID) without one";

    private final String prefix;
    private final int partitions;

    public TopicCatalog(String prefix, int partitions) {
        Objects.requireNonNull(prefix, "prefix");
        if (!prefix.matches("[a-zA-Z0-9._-]+")) {
            throw new IllegalArgumentException("topic prefix may hold only letters, digits, '.', '_' and '-': " + prefix);
        }
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be at least 1");
        }
        this.prefix = prefix;
        this.partitions = partitions;
    }

    public static TopicCatalog defaults() {
        return new TopicCatalog(DEFAULT_PREFIX, 6);
    }

    public String prefix() {
        return prefix;
    }

    /** Agent registry: compacted, keyed by agent id, a tombstone deletes an agent. */
    public TopicSpec agents() {
        return new TopicSpec(prefix + ".agents.v1", 1, true, FOREVER, "agent id (UUID)", "agent-record.schema.json");
    }

    /** Execution requests from the ingress to the workers, keyed by execution id. */
    public TopicSpec executionRequests() {
        return new TopicSpec(prefix + ".execution.requests.v1", partitions, false, FOREVER, "execution id (UUID)",
                "execution-request.schema.json");
    }

    /** Execution events from the workers, keyed by execution id so that one execution's events stay in order. */
    public TopicSpec executionEvents() {
        return new TopicSpec(prefix + ".execution.events.v1", partitions, false, FOREVER, "execution id (UUID)",
                "execution-event.schema.json");
    }

    /** Commands to running executions (cancel), keyed by execution id; kept a week. */
    public TopicSpec executionCommands() {
        return new TopicSpec(prefix + ".execution.commands.v1", partitions, false, WEEK,
                "execution id (UUID)", "execution-command.schema.json");
    }

    /** Workflow registry: compacted, keyed by workflow name, a tombstone deletes a workflow. */
    public TopicSpec workflows() {
        return new TopicSpec(prefix + ".workflows.v1", 1, true, FOREVER, "workflow name",
                "workflow-record.schema.json");
    }

    /** Start and cancel commands from the ingress to the workflow engine, keyed by workflow execution id. */
    public TopicSpec workflowCommands() {
        return new TopicSpec(prefix + ".workflow.commands.v1", partitions, false, FOREVER,
                "workflow execution id (UUID)", "workflow-command.schema.json");
    }

    /** Workflow events from the engine, keyed by workflow execution id so that one run's events stay in order. */
    public TopicSpec workflowEvents() {
        return new TopicSpec(prefix + ".workflow.events.v1", partitions, false, FOREVER,
                "workflow execution id (UUID)", "workflow-event.schema.json");
    }

    /** Results of the executions a workflow started, from the workers to the engine, keyed by workflow execution id. */
    public TopicSpec workflowSteps() {
        return new TopicSpec(prefix + ".workflow.steps.v1", partitions, false, FOREVER,
                "workflow execution id (UUID)", "workflow-step-result.schema.json");
    }

    /** Approval requests from the engine to the approval service, keyed by approval id. */
    public TopicSpec approvalRequests() {
        return new TopicSpec(prefix + ".approval.requests.v1", partitions, false, FOREVER, "approval id (UUID)",
                "approval-request.schema.json");
    }

    /** How approvals ended (approved, rejected, timed out), from the approval service, keyed by approval id. */
    public TopicSpec approvalDecisions() {
        return new TopicSpec(prefix + ".approval.decisions.v1", partitions, false, FOREVER, "approval id (UUID)",
                "approval-decision.schema.json");
    }

    /** Approve and reject calls from the ingress to the owner of the approval, keyed by approval id; kept a week. */
    public TopicSpec approvalCommands() {
        return new TopicSpec(prefix + ".approval.commands.v1", partitions, false, WEEK, "approval id (UUID)",
                "approval-command.schema.json");
    }

    /**
     * The owner's answers to approval commands, keyed by the ingress node that waits for them; kept an hour, since
     * nobody waits for an answer longer than an HTTP call.
     */
    public TopicSpec approvalReplies() {
        return new TopicSpec(prefix + ".approval.replies.v1", partitions, false, HOUR, "ingress node id",
                "approval-reply.schema.json");
    }

    /**
     * Records that a consumer could not read or process, from every consumer of the system, keyed by the failed
     * record's key; kept 30 days, long enough for someone to look and replay.
     */
    public TopicSpec deadLetters() {
        return new TopicSpec(prefix + ".deadletter.v1", partitions, false, MONTH, "the failed record's key",
                "dead-letter.schema.json");
    }

    /** The direct routes of stimuli (source -> workflow), compacted: the latest route of each source. */
    public TopicSpec stimulusRoutes() {
        return new TopicSpec(prefix + ".stimulus.routes.v1", 1, true, FOREVER, "source name (lower-case)",
                "stimulus-route.schema.json");
    }

    /** The RouterAgent setting (one record, key {@code router}), compacted. */
    public TopicSpec stimulusRouter() {
        return new TopicSpec(prefix + ".stimulus.router.v1", 1, true, FOREVER, "\"router\" (one record)",
                "stimulus-router.schema.json");
    }

    /**
     * Stimuli from the ingress to the deduplication stage, keyed by the deduplication key
     * ({@code StimulusKeys.recordKey}: hex SHA-256 of source and idempotency key, or the stimulus id without one), so
     * that one task sees every delivery of a key, in order; kept a week, like the other calls from the ingress.
     */
    public TopicSpec stimulusRequests() {
        return new TopicSpec(prefix + ".stimulus.requests.v1", partitions, false, WEEK, STIMULUS_KEY,
                "stimulus-request.schema.json");
    }

    /**
     * The stimuli that passed the deduplication, unchanged, for the routing stage; keyed like the requests. Kept a
     * week: webhook bodies arrive at volume, and what a routed stimulus started (its workflow run, with the stimulus
     * as input) is kept with the run.
     */
    public TopicSpec stimulusAccepted() {
        return new TopicSpec(prefix + ".stimulus.accepted.v1", partitions, false, WEEK, STIMULUS_KEY,
                "stimulus-request.schema.json");
    }

    /**
     * What the routing stage did with each accepted stimulus (accepted or refused), back to the deduplication stage;
     * keyed like the requests and partitioned alike (co-partitioned: the same key lands on the same partition number,
     * so the task that holds a key's entry reads its outcomes). Kept a week: it is only read by that stage.
     */
    public TopicSpec stimulusOutcomes() {
        return new TopicSpec(prefix + ".stimulus.outcomes.v1", partitions, false, WEEK, STIMULUS_KEY,
                "stimulus-outcome.schema.json");
    }

    /**
     * Answers to stimulus requests (duplicates from the deduplication stage, the rest from the routing stage), keyed
     * by the ingress node that waits for them; kept an hour, as the approval replies: nobody waits longer.
     */
    public TopicSpec stimulusReplies() {
        return new TopicSpec(prefix + ".stimulus.replies.v1", partitions, false, HOUR, "ingress node id",
                "stimulus-reply.schema.json");
    }

    /**
     * Classifications under way ({@code StimulusClassification}), from the routing stage to itself, keyed by the
     * RouterAgent's execution id and partitioned like the execution events (co-partitioned: the task that holds a
     * classification reads its execution's events). Kept a week, like the stimuli.
     */
    public TopicSpec stimulusClassifications() {
        return new TopicSpec(prefix + ".stimulus.classifications.v1", partitions, false, WEEK,
                "the RouterAgent's execution id", "stimulus-classification.schema.json");
    }

    /**
     * SMCP sessions (keyed by session id) and the workers' public token-signing keys (keyed {@code jwk:<kid>}),
     * compacted: the latest state of each, so that any worker verifies any session and any token.
     */
    public TopicSpec smcpSessions() {
        return new TopicSpec(prefix + ".smcp.sessions.v1", 1, true, FOREVER,
                "session id (UUID), or jwk:<kid> for a signing key", "smcp-session.schema.json");
    }

    /** The topics of the stimulus stages (deduplication, routing, the answers to the ingress). */
    public List<TopicSpec> stimulusTopics() {
        return List.of(stimulusRequests(), stimulusAccepted(), stimulusOutcomes(), stimulusReplies(),
                stimulusClassifications());
    }

    public List<TopicSpec> all() {
        return List.of(agents(), executionRequests(), executionEvents(), executionCommands(), workflows(),
                workflowCommands(), workflowEvents(), workflowSteps(), approvalRequests(), approvalDecisions(),
                approvalCommands(), approvalReplies(), deadLetters(), stimulusRoutes(), stimulusRouter(),
                stimulusRequests(), stimulusAccepted(), stimulusOutcomes(), stimulusReplies(),
                stimulusClassifications(), smcpSessions());
    }
}
