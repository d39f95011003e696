package ai.aegis.cli.client;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;

/** {@code aegis agent deploy|list|show|remove}. */
@Command(name = "agent", mixinStandardHelpOptions = true, description = "Deploy, list, show and remove agents.",
        subcommands = {AgentCommands.Deploy.class, AgentCommands.ListAgents.class, AgentCommands.Show.class,
                AgentCommands.Remove.class})
public final class AgentCommands {

    @Command(name = "deploy", mixinStandardHelpOptions = true,
            description = "Deploy an agent manifest (YAML or JSON). A new version updates the agent (same id).")
    static final class Deploy extends ClientCommand {
        @Parameters(paramLabel = "FILE", description = "the manifest")
        Path file;
        @Option(names = "--force", description = "redeploy the same version")
        boolean force;

        Deploy(Context context) {
            super(context);
        }

        @Override
        public Integer call() {
            String[] m = manifest(file);
            JsonNode res = api().postText("/v1/agents" + (force ? "?force=true" : ""), m[0], m[1]);
            if (format() == ClientOptions.Format.text) {
                context.out().println("agent " + res.path("name").asText() + " " + res.path("version").asText()
                        + " " + res.path("status").asText() + ": " + res.path("agent_id").asText());
            } else {
                print(res);
            }
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the deployed agents.")
    static final class ListAgents extends ClientCommand {
        ListAgents(Context context) {
            super(context);
        }

        @Override
        public Integer call() {
            JsonNode agents = api().get("/v1/agents");
            Output.list(context.out(), format(), agents, agents, List.of(Output.Column.field("ID", "id"),
                    Output.Column.field("NAME", "name"), Output.Column.field("VERSION", "version"),
                    Output.Column.field("STATUS", "status"), Output.Column.field("DESCRIPTION", "description")));
            return 0;
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "Show an agent, with its manifest.")
    static final class Show extends ClientCommand {
        @Parameters(paramLabel = "ID|NAME", description = "the agent's id or name")
        String agent;

        Show(Context context) {
            super(context);
        }

        @Override
        public Integer call() {
            print(api().get("/v1/agents/" + ApiClient.encode(agentId(agent))));
            return 0;
        }
    }

    @Command(name = "remove", aliases = "rm", mixinStandardHelpOptions = true, description = "Remove an agent.")
    static final class Remove extends ClientCommand {
        @Parameters(paramLabel = "ID|NAME", description = "the agent's id or name")
        String agent;

        Remove(Context context) {
            super(context);
        }

        @Override
        public Integer call() {
            String id = agentId(agent);
            JsonNode res = api().delete("/v1/agents/" + ApiClient.encode(id));
            if (format() == ClientOptions.Format.text) {
                context.out().println("agent " + agent + " removed");
            } else {
                print(res);
            }
            return 0;
        }
    }
}
