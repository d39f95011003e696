package ai.aegis.worker.smcp.policy;

import java.util.Objects;

/** What {@link PolicyEngine#evaluate} decided about one tool call. */
public sealed interface PolicyDecision {

    /**
     * The call is allowed by {@code capability}, whose rate limit and response size then apply. Its index (the
     * rate limiter's bucket) is {@code context.capabilities().indexOf(capability)}.
     */
    record Allowed(Capability capability) implements PolicyDecision {
        public Allowed {
            Objects.requireNonNull(capability, "capability");
        }
    }

    /** The call is refused. */
    record Denied(PolicyViolation violation) implements PolicyDecision {
        public Denied {
            Objects.requireNonNull(violation, "violation");
        }
    }
}
