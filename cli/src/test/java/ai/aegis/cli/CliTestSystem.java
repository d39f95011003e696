package ai.aegis.cli;

import ai.aegis.worker.llm.scripted.ScriptStep;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** {@link TestSystem} for the command-line tests of other packages: where the API is and its token file. */
public final class CliTestSystem implements AutoCloseable {

    private final TestSystem system;

    private CliTestSystem(TestSystem system) {
        this.system = system;
    }

    /** @param workflows also the workflow engine and the approval service */
    public static CliTestSystem start(Path dataDir, Map<String, List<ScriptStep>> scripts, boolean workflows)
            throws Exception {
        return new CliTestSystem(new TestSystem(dataDir, scripts, null, workflows));
    }

    public String base() {
        return system.base;
    }

    public Path tokenFile() {
        return system.ingress.tokenFile();
    }

    public String token() {
        return system.token;
    }

    /** An agent manifest (JSON) on this model, allowed to use cmd.run ({@link TestSystem#agent}). */
    public static String agent(String name, String model, int maxIterations) {
        return TestSystem.agent(name, model, maxIterations);
    }

    public static com.fasterxml.jackson.databind.JsonNode args(String json) {
        return TestSystem.args(json);
    }

    @Override
    public void close() {
        system.close();
    }
}
