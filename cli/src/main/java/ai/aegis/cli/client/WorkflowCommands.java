package ai.aegis.cli.client;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** {@code aegis workflow deploy|list|run|status|runs}. */
@Command(name = "workflow", mixinStandardHelpOptions = true, description = "Register and run workflows.",
        subcommands = {WorkflowCommands.Deploy.class, WorkflowCommands.ListWorkflows.class, WorkflowCommands.Run.class,
                WorkflowCommands.Status.class, WorkflowCommands.Runs.class})
public final class WorkflowCommands {

    @Command(name = "deploy", mixinStandardHelpOptions = true,
            description = "Register a workflow manifest (YAML or JSON); its agents must be deployed.")
    static final class Deploy extends ClientCommand {
        @Parameters(paramLabel = "FILE", description = "the manifest")
        Path file;
        @Option(names = "--force", description = "register the same version again")
        boolean force;

        Deploy(Context context) {
            super(context);
        }

        @Override
        public Integer call() {
            JsonNode res = deploy("/v1/workflows", file, force);
            print(res, "workflow " + res.path("name").asText() + " " + res.path("version").asText() + " "
                    + res.path("status").asText());
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the registered workflows.")
    static final class ListWorkflows extends ClientCommand {
        ListWorkflows(Context context) {
            super(context);
        }

        @Override
        public Integer call() {
            printList(api().get("/v1/workflows"), Output.columns("NAME", "name", "VERSION", "version",
                    "DESCRIPTION", "description"));
            return 0;
        }
    }

    @Command(name = "run", mixinStandardHelpOptions = true, description = {"Start a run of a workflow.",
            "--follow: print its events until it ends; exit 0 completed, 1 failed, 3 cancelled."})
    static final class Run extends ClientCommand {
        @Parameters(paramLabel = "NAME", description = "the workflow's name")
        String name;
        @Option(names = {"-i", "--input"}, paramLabel = "TEXT", description = "the run's input")
        String input;
        @Option(names = {"-f", "--follow"}, description = "follow the run until it ends")
        boolean follow;

        Run(Context context) {
            super(context);
        }

        @Override
        public Integer call() {
            Map<String, Object> body = new LinkedHashMap<>();
            if (input != null) {
                body.put("input", input);
            }
            JsonNode res = api().post("/v1/workflows/" + ApiClient.encode(name) + "/run", body);
            String id = res.path("workflow_execution_id").asText();
            if (!follow) {
                print(res, id);
                return 0;
            }
            return Follow.workflow(api(), id, context.out(), jsonLines());
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true, description = "Show a workflow run.")
    static final class Status extends ClientCommand {
        @Parameters(paramLabel = "ID", description = "the run's id (workflow_execution_id)")
        String id;

        Status(Context context) {
            super(context);
        }

        @Override
        public Integer call() {
            print(api().get("/v1/workflows/executions/" + ApiClient.encode(id)));
            return 0;
        }
    }

    @Command(name = "runs", mixinStandardHelpOptions = true, description = "List workflow runs, of one workflow or all.")
    static final class Runs extends ClientCommand {
        @Parameters(paramLabel = "NAME", arity = "0..1", description = "only this workflow's runs")
        String name;
        @Option(names = "--status", paramLabel = "STATUS", description = "only runs with this status")
        String status;

        Runs(Context context) {
            super(context);
        }

        @Override
        public Integer call() {
            StringBuilder q = new StringBuilder();
            if (name != null) {
                q.append("?workflow=").append(ApiClient.encode(name));
            }
            if (status != null) {
                q.append(q.isEmpty() ? '?' : '&').append("status=").append(ApiClient.encode(status));
            }
            printList(api().get("/v1/workflows/executions" + q), Output.columns("ID", "workflow_execution_id",
                    "WORKFLOW", "workflow_name", "STATUS", "status", "STATE", "current_state",
                    "APPROVAL", "pending_approval", "STARTED", "started_at"));
            return 0;
        }
    }
}
