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

    public int size() {
        return sessions.size();
    }
}
