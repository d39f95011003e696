package ai.aegis.worker.smcp.policy;

import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A named set of capabilities (reference §8.1); the order of the capabilities matters, the first that allows a call
 * wins.
 *
 * @param name         unique in the registry
 * @param description  free text ("" when none)
 * @param capabilities tried in order
 * @param denyList     exact tool names refused whatever the capabilities say
 */
public record SecurityContext(String name, String description, List<Capability> capabilities, Set<String> denyList) {

    public SecurityContext {
        Objects.requireNonNull(name, "name");
        if (name.isBlank()) {
            throw new IllegalArgumentException("security context name must not be blank");
        }
        description = description == null ? "" : description;
        capabilities = capabilities == null ? List.of() : List.copyOf(capabilities);
        denyList = denyList == null ? Set.of() : Set.copyOf(denyList);
    }

    /**
     * Whether the tool can be called at all (not denied, some pattern matches), whatever its arguments: the tools
     * offered to an LLM.
     */
    public boolean mayCall(String tool) {
        return !denyList.contains(tool) && capabilities.stream().anyMatch(c -> c.matches(tool));
    }
}
