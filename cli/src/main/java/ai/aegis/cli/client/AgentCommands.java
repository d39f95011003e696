package ai.aegis.cli.client;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;

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
            JsonNode res = deploy("/v1/agents", file, force);
            print(res, "agent " + res.path("name").asText() + " " + res.path("version").asText() + " "
                    + res.path("status").asText() + ": " + res.path("agent_id").asText());
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
            printList(api().get("/v1/agents"), Output.columns("ID", "id", "NAME", "name", "VERSION", "version",
                    "STATUS", "status", "DESCRIPTION", "description"));
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
            print(api().delete("/v1/agents/" + ApiClient.encode(agentId(agent))), "agent " + agent + " removed");
            return 0;
        }
    }
}
