package ai.aegis.worker.smcp;

import ai.aegis.topology.health.MetricFamily;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntSupplier;

/**
 * The SMCP counts of one worker (the reference's names): attestations and invocations by result, signature failures,
 * policy violations by type, and the sessions its sandboxes hold. Label values come from enums and fixed words
 * only, so the families stay small.
 */
public final class SmcpMetrics {

    private final Map<String, LongAdder> attestations = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> invocations = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> violations = new ConcurrentHashMap<>();
    private final LongAdder signatureFailures = new LongAdder();
    private final IntSupplier liveSessions;

    /** @param liveSessions the sessions this worker's sandboxes hold now */
    public SmcpMetrics(IntSupplier liveSessions) {
        this.liveSessions = liveSessions;
    }

    /** For a gateway without attestation (no sessions). */
    public SmcpMetrics() {
        this(() -> 0);
    }

    public void attestation(String result) {
        attestations.computeIfAbsent(result, k -> new LongAdder()).increment();
    }

    /** @param result {@code ok}, or the lower-case {@link SmcpError} */
    public void invocation(String result) {
        invocations.computeIfAbsent(result, k -> new LongAdder()).increment();
    }

    public void violation(String violationType) {
        violations.computeIfAbsent(violationType, k -> new LongAdder()).increment();
    }

    public void signatureFailure() {
        signatureFailures.increment();
    }

    public long violations(String type) {
        LongAdder a = violations.get(type);
        return a == null ? 0 : a.sum();
    }

    public List<MetricFamily> families() {
        return List.of(
                new MetricFamily("aegis_smcp_attestations_total", "SMCP attestations by result.", true, "result",
                        () -> sums(attestations)),
                new MetricFamily("aegis_smcp_invocations_total", "SMCP tool invocations by result (ok or the error).",
                        true, "result", () -> sums(invocations)),
                new MetricFamily("aegis_smcp_policy_violations_total", "Tool calls refused by a security context, by "
                        + "violation type (inner loop and SMCP).", true, "violation_type", () -> sums(violations)),
                new MetricFamily("aegis_smcp_signature_failures_total", "SMCP envelopes whose Ed25519 signature did "
                        + "not verify.", true, "node", () -> Map.of("local", signatureFailures.sum())),
                new MetricFamily("aegis_smcp_sessions_active", "SMCP sessions of the sandboxes this worker runs.",
                        false, "node", () -> Map.of("local", liveSessions.getAsInt())));
    }

    private static Map<String, Long> sums(Map<String, LongAdder> adders) {
        Map<String, Long> out = new TreeMap<>();
        adders.forEach((k, v) -> out.put(k, v.sum()));
        return out;
    }
}
