package ai.aegis.schemas.agent;

import java.util.Set;

/** The tools an agent may name in {@code spec.tools}; an unknown name is refused at deployment. */
public final class ToolCatalog {

    /** Runs a command in the agent's sandbox through the dispatch protocol. */
    public static final String CMD_RUN = "cmd.run";

    public static final Set<String> AVAILABLE = Set.of(CMD_RUN);

    private ToolCatalog() {
    }
}
