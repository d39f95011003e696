package ai.aegis.cli.client;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Mixin;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;

/** A command that calls the API: the shared options ({@link ClientOptions}) and helpers. */
abstract class ClientCommand implements Callable<Integer> {

    private static final Pattern UUID = Pattern.compile(
            "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

    final Context context;
    @Mixin
    ClientOptions options;
    private ApiClient api;

    ClientCommand(Context context) {
        this.context = context;
    }

    ApiClient api() {
        if (api == null) {
            api = options.client(context);
        }
        return api;
    }

    ClientOptions.Format format() {
        return options.output();
    }

    void print(JsonNode node) {
        Output.object(context.out(), format(), node);
    }

    boolean live() {
        return context.liveProgress(options.noTty());
    }

    boolean jsonLines() {
        return format() == ClientOptions.Format.json || format() == ClientOptions.Format.yaml;
    }

    static boolean isUuid(String s) {
        return UUID.matcher(s).matches();
    }

    /** An agent's id: as given when it is one, else looked up by name. */
    String agentId(String idOrName) {
        if (isUuid(idOrName)) {
            return idOrName;
        }
        return api().get("/v1/agents/lookup/" + ApiClient.encode(idOrName)).path("id").asText();
    }

    /** A manifest file's text and its content type (JSON by the name or the first character, else YAML). */
    static String[] manifest(Path file) {
        try {
            String text = Files.readString(file);
            boolean json = file.getFileName().toString().endsWith(".json") || text.stripLeading().startsWith("{");
            return new String[]{text, json ? "application/json" : "application/yaml"};
        } catch (IOException e) {
            throw new CliException("cannot read " + file + " (" + e.getClass().getSimpleName()
                    + (e.getMessage() != null && !e.getMessage().equals(file.toString()) ? ": " + e.getMessage() : "")
                    + ")", 2);
        }
    }
}
