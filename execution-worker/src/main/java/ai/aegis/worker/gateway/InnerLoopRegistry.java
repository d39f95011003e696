package ai.aegis.worker.gateway;

import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** The sessions of the iterations this worker is running, by execution id (one iteration at a time each). */
public final class InnerLoopRegistry {

    private final ConcurrentHashMap<String, InnerLoopSession> sessions = new ConcurrentHashMap<>();

    public void register(InnerLoopSession session) {
        sessions.put(session.executionId(), session);
    }

    public void remove(InnerLoopSession session) {
        session.close();
        sessions.remove(session.executionId(), session);
    }

    public Optional<InnerLoopSession> get(String executionId) {
        return Optional.ofNullable(sessions.get(executionId));
    }

    /**
     * The running iteration of {@code executionId} if {@code token} is its token: an unknown execution and a wrong
     * token look alike to the caller, so the internal listener reveals nothing about which executions exist.
     */
    public Optional<InnerLoopSession> authorised(String executionId, String token) {
        if (executionId == null) {
            return Optional.empty();
        }
        return get(executionId.toLowerCase(java.util.Locale.ROOT)).filter(s -> s.tokenMatches(token) && !s.closed());
    }

    public int size() {
        return sessions.size();
    }
}
