package ai.aegis.worker.smcp.mcp;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;

/** Locates the Python test servers next to this package's test resources. */
final class McpTestServers {

    static final String PYTHON = "/usr/bin/python3";

    private McpTestServers() {
    }

    static Path script(String name) {
        try {
            return Path.of(McpTestServers.class.getResource(name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static List<String> notesCommand() {
        return List.of(PYTHON, script("notes_mcp_server.py").toString());
    }
}
