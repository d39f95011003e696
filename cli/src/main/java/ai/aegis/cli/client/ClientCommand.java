package ai.aegis.cli.client;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Mixin;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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

    /** {@code text}: the one line given; any other format: the answer ({@link #print(JsonNode)}). */
    void print(JsonNode answer, String textLine) {
        if (format() == ClientOptions.Format.text) {
            context.out().println(textLine);
        } else {
            print(answer);
        }
    }

    /** A list the answer is: json/yaml as is, else a table of these columns. */
    void printList(JsonNode list, List<Output.Column> columns) {
        Output.list(context.out(), format(), list, list, columns);
    }

    boolean live() {
        return context.liveProgress(options.noTty());
    }

    boolean jsonLines() {
        return format() == ClientOptions.Format.json || format() == ClientOptions.Format.yaml;
    }

    /** An agent's id: as given when it is one, else looked up by name. */
    String agentId(String idOrName) {
        if (UUID.matcher(idOrName).matches()) {
            return idOrName;
        }
        return api().get("/v1/agents/lookup/" + ApiClient.encode(idOrName)).path("id").asText();
    }

    /**
     * Posts a manifest file to {@code path} ({@code ?force=true} with {@code force}) as it is: JSON by the file's name
     * or its first character, else YAML.
     */
    JsonNode deploy(String path, Path file, boolean force) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new CliException("cannot read " + file + " (" + e.getClass().getSimpleName()
                    + (e.getMessage() != null && !e.getMessage().equals(file.toString()) ? ": " + e.getMessage() : "")
                    + ")", 2);
        }
        boolean json = file.getFileName().toString().endsWith(".json") || text.stripLeading().startsWith("{");
        return api().postText(path + (force ? "?force=true" : ""), text, json ? "application/json" : "application/yaml");
    }
}
