package ai.aegis.topology.config;

import io.helidon.config.Config;

import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Lists in configuration, however they were written: a YAML list, or keys {@code 0, 1, ...} as properties and
 * environment variables make them ({@code aegis.smcp.mcp-servers.0.name}), which Helidon reads as an object.
 */
public final class ConfigLists {

    private ConfigLists() {
    }

    /** The elements in order, or empty when {@code node} is neither a list nor an object keyed by indexes. */
    public static Optional<List<Config>> elements(Config node) {
        if (node.type() != Config.Type.LIST && node.type() != Config.Type.OBJECT) {
            return Optional.empty();
        }
        List<Config> children = node.asNodeList().orElse(List.of());
        return switch (node.type()) {
            case LIST -> Optional.of(children);
            case OBJECT -> children.stream().allMatch(child -> child.name().matches("\\d{1,6}"))
                    ? Optional.of(children.stream().sorted(Comparator.comparingInt(c -> Integer.parseInt(c.name())))
                    .toList())
                    : Optional.empty();
            default -> Optional.empty();
        };
    }
}
