package ai.aegis.worker.smcp;

import ai.aegis.worker.gateway.InnerLoopSession;
import ai.aegis.worker.smcp.policy.SecurityContext;
import ai.aegis.worker.smcp.policy.SecurityContexts;

import java.util.Optional;
import java.util.function.Consumer;

/**
 * What the runner needs of SMCP for each iteration: the security context its tool calls obey (the manifest's, or
 * the node's default), whether the sandbox attests, and what to do when its sandbox is gone (end its session).
 *
 * @param smcpEnabled the sandbox is told to attest and sign its calls ({@code AEGIS_SMCP_ENABLED})
 * @param ended       called once the iteration's sandbox is gone
 */
public record IterationSecurity(SecurityContexts contexts, String defaultContext, boolean smcpEnabled,
                                Consumer<InnerLoopSession> ended) {

    /** The shipped contexts, the default one for agents naming none, no attestation (tests of the loop alone). */
    public static IterationSecurity unattested() {
        return new IterationSecurity(SecurityContexts.defaults(), SmcpConfig.DEFAULT_CONTEXT, false, loop -> {
        });
    }

    /** @param named the manifest's {@code spec.security_context}, or null */
    public Optional<SecurityContext> contextFor(String named) {
        return contexts.get(named == null ? defaultContext : named);
    }
}
