package ai.aegis.cli.client;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.LinkedHashMap;
import java.util.Map;

/** {@code aegis stimulus send}: {@code POST /v1/stimuli}. */
@Command(name = "stimulus", mixinStandardHelpOptions = true, description = "Send stimuli (events that start workflows).",
        subcommands = StimulusCommands.Send.class)
public final class StimulusCommands {

    @Command(name = "send", mixinStandardHelpOptions = true, description = "Send a stimulus from a source.")
    static final class Send extends ClientCommand {
        @Parameters(paramLabel = "SOURCE", description = "the stimulus's source (its route picks the workflow)")
        String source;
        @Option(names = "--content", paramLabel = "JSON|TEXT", required = true,
                description = "the content: JSON when it parses as JSON, else text")
        String content;
        @Option(names = "--idempotency-key", paramLabel = "K", description = "the same key again is answered as a replay")
        String key;

        Send(Context context) {
            super(context);
        }

        @Override
        public Integer call() {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("source", source);
            body.put("content", ApiClient.jsonOrText(content));
            if (key != null) {
                body.put("idempotency_key", key);
            }
            print(api().post("/v1/stimuli", body));
            return 0;
        }
    }
}
