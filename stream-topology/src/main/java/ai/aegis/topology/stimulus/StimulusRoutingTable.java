package ai.aegis.topology.stimulus;

import ai.aegis.schemas.stimulus.StimulusRoute;
import ai.aegis.schemas.stimulus.StimulusRouter;
import ai.aegis.topology.serde.MalformedRecordException;
import ai.aegis.topology.serde.WireReaders;

import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A node's copy of what routes a stimulus: the direct routes, folded from the compacted routes topic (keyed by
 * source name), and the RouterAgent, folded from the compacted router topic (one record).
 */
public final class StimulusRoutingTable {

    private final Map<String, StimulusRoute> bySource = new ConcurrentHashMap<>();
    private volatile StimulusRouter router;

    /**
     * @param value the router record, or null for a tombstone
     * @throws MalformedRecordException when the value is not a complete router setting, or is under another key
     */
    public void onRouterRecord(String key, byte[] value) {
        if (!StimulusRouter.KEY.equals(key)) {
            throw new MalformedRecordException("a router setting under the key '" + key + "', not '"
                    + StimulusRouter.KEY + "'");
        }
        router = value == null ? null : WireReaders.STIMULUS_ROUTER.read(value);
    }

    public Optional<StimulusRouter> router() {
        return Optional.ofNullable(router);
    }

    /**
     * @param value the record value, or null for a tombstone
     * @throws MalformedRecordException when the value is not a complete route, or names another source than its key
     */
    public void onRecord(String source, byte[] value) {
        if (value == null) {
            bySource.remove(source);
            return;
        }
        StimulusRoute route = WireReaders.STIMULUS_ROUTE.read(value);
        if (!route.source().equals(source)) {
            throw new MalformedRecordException("a route of source '" + route.source() + "' under the key '"
                    + source + "'");
        }
        bySource.put(source, route);
    }

    /** @param source a normalised source name ({@link ai.aegis.schemas.stimulus.StimulusSources#normalise}) */
    public Optional<StimulusRoute> get(String source) {
        return Optional.ofNullable(bySource.get(source));
    }

    public List<StimulusRoute> all() {
        return bySource.values().stream().sorted(Comparator.comparing(StimulusRoute::source)).toList();
    }
}
