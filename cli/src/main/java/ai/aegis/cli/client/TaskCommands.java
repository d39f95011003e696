package ai.aegis.cli.client;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code aegis task run|list|status|cancel|logs}: executions of agents. */
@Command(name = "task", mixinStandardHelpOptions = true, description = "Run agents and follow their executions.",
        subcommands = {TaskCommands.Run.class, TaskCommands.ListTasks.class, TaskCommands.Status.class,
                TaskCommands.Cancel.class, TaskCommands.Logs.class})
public final class TaskCommands {

    @Command(name = "run", mixinStandardHelpOptions = true, description = {"Start an execution of an agent.",
            "--follow: print its progress until it ends; exit 0 completed, 1 failed, 3 cancelled, 4 timed out."})
    static final class Run extends ClientCommand {
        @Parameters(paramLabel = "AGENT", description = "the agent's id or name")
        String agent;
        @Option(names = {"-i", "--input"}, paramLabel = "TEXT", required = true, description = "the task's input")
        String input;
        @Option(names = {"-f", "--follow"}, description = "follow the execution until it ends")
        boolean follow;

        Run(Context context) {
            super(context);
        }

        @Override
        public Integer call() {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("agent_id", agentId(agent));
            body.put("input", input);
            JsonNode res = api().post("/v1/executions", body);
            String id = res.path("execution_id").asText();
            if (!follow) {
                print(res, id);
                return 0;
            }
            return Follow.execution(api(), id, context.out(), live(), jsonLines());
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List executions, newest first.")
    static final class ListTasks extends ClientCommand {
        @Option(names = "--agent", paramLabel = "ID|NAME", description = "only this agent's")
        String agent;
        @Option(names = "--status", paramLabel = "STATUS",
                description = "pending, running, completed, failed, cancelled or timed_out")
        String status;
        @Option(names = "--limit", paramLabel = "N", description = "at most N (1..1000; default 20)")
        Integer limit;

        ListTasks(Context context) {
            super(context);
        }

        @Override
        public Integer call() {
            List<String> query = new ArrayList<>();
            if (agent != null) {
                query.add("agent_id=" + ApiClient.encode(agentId(agent)));
            }
            if (status != null) {
                query.add("status=" + ApiClient.encode(status));
            }
            if (limit != null) {
                query.add("limit=" + limit);
            }
            printList(api().get("/v1/executions" + (query.isEmpty() ? "" : "?" + String.join("&", query))),
                    Output.columns("ID", "id", "AGENT", "agent_name", "STATUS", "status",
                            "ITERATIONS", "total_iterations", "STARTED", "started_at", "ENDED", "ended_at"));
            return 0;
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true, description = "Show an execution and its iterations.")
    static final class Status extends ClientCommand {
        @Parameters(paramLabel = "ID", description = "the execution's id")
        String id;

        Status(Context context) {
            super(context);
        }

        @Override
        public Integer call() {
            JsonNode view = api().get("/v1/executions/" + ApiClient.encode(id));
            print(view);
            if (!jsonLines() && view.path("iterations").isArray() && !view.get("iterations").isEmpty()) {
                context.out().println();
                Output.table(context.out(), view.get("iterations"), Output.columns("ITERATION", "number",
                        "STATUS", "status", "TOOL CALLS", "tool_calls", "OUTPUT", "output", "ERROR", "error"));
            }
            return 0;
        }
    }

    @Command(name = "cancel", mixinStandardHelpOptions = true, description = "Cancel a pending or running execution.")
    static final class Cancel extends ClientCommand {
        @Parameters(paramLabel = "ID", description = "the execution's id")
        String id;

        Cancel(Context context) {
            super(context);
        }

        @Override
        public Integer call() {
            JsonNode res = api().post("/v1/executions/" + ApiClient.encode(id) + "/cancel", Map.of());
            print(res, "execution " + id + " " + res.path("status").asText());
            return 0;
        }
    }

    @Command(name = "logs", mixinStandardHelpOptions = true, description = {
            "Print an execution's events (its whole history, then live ones until it ends).",
            "Exit codes as for task run --follow."})
    static final class Logs extends ClientCommand {
        @Parameters(paramLabel = "ID", description = "the execution's id")
        String id;

        Logs(Context context) {
            super(context);
        }

        @Override
        public Integer call() {
            return Follow.execution(api(), id, context.out(), false, jsonLines()); // a log: plain lines
        }
    }
}
