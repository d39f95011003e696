package ai.aegis.worker.llm.openai;

import ai.aegis.worker.llm.ToolSchema;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Tool names as the chat-completions API accepts them: a function name must match {@code ^[a-zA-Z0-9_-]{1,64}$},
 * and ours have dots ({@code cmd.run}, {@code fs.edit}, {@code notes.add_note}). Each tool of a request gets a wire
 * name (the dots and anything else outside the set become {@code _}, a clash gets a numeric suffix), and the calls
 * the model answers with are read back under the tool's own name.
 */
final class FunctionNames {

    private static final int MAX = 64;

    private final Map<String, String> toWire = new HashMap<>();
    private final Map<String, String> fromWire = new HashMap<>();

    private FunctionNames() {
    }

    static FunctionNames of(List<ToolSchema> tools) {
        FunctionNames names = new FunctionNames();
        if (tools != null) {
            tools.forEach(t -> names.add(t.name()));
        }
        return names;
    }

    private void add(String name) {
        if (toWire.containsKey(name)) {
            return;
        }
        String base = name.replaceAll("[^A-Za-z0-9_-]", "_");
        base = base.isEmpty() ? "tool" : base.length() > MAX ? base.substring(0, MAX) : base;
        String wire = base;
        for (int n = 2; fromWire.containsKey(wire); n++) {
            String suffix = "_" + n;
            wire = (base.length() + suffix.length() > MAX ? base.substring(0, MAX - suffix.length()) : base) + suffix;
        }
        toWire.put(name, wire);
        fromWire.put(wire, name);
    }

    /** The name to send; a name of no tool of the request (an earlier turn's) is sanitised the same way. */
    String wire(String name) {
        String w = toWire.get(name);
        return w != null ? w : name.replaceAll("[^A-Za-z0-9_-]", "_");
    }

    /** The tool a name the model answered stands for (itself when it is not a wire name of this request). */
    String tool(String wire) {
        return fromWire.getOrDefault(wire, wire);
    }
}
