package ai.aegis.cli.client;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.LinkedHashMap;
import java.util.Map;

/** {@code aegis approvals list|approve|reject}: the human approvals workflows wait for. */
@Command(name = "approvals", mixinStandardHelpOptions = true, description = "List, approve and reject human approvals.",
        subcommands = {ApprovalCommands.ListApprovals.class, ApprovalCommands.Approve.class,
                ApprovalCommands.Reject.class})
public final class ApprovalCommands {

    @Command(name = "list", mixinStandardHelpOptions = true, description = "The pending approvals, oldest first.")
    static final class ListApprovals extends ClientCommand {
        ListApprovals(Context context) {
            super(context);
        }

        @Override
        public Integer call() {
            JsonNode res = api().get("/v1/human-approvals");
            Output.list(context.out(), format(), res, res.path("pending_requests"), Output.columns("ID", "id",
                    "WORKFLOW RUN", "workflow_execution_id", "STATE", "state_name", "CREATED", "created_at",
                    "TIMEOUT S", "timeout_seconds", "PROMPT", "prompt"));
            return 0;
        }
    }

    @Command(name = "approve", mixinStandardHelpOptions = true, description = "Approve a pending request.")
    static final class Approve extends ClientCommand {
        @Parameters(paramLabel = "ID", description = "the approval's id")
        String id;
        @Option(names = "--feedback", paramLabel = "TEXT", description = "feedback for the workflow")
        String feedback;
        @Option(names = "--by", paramLabel = "WHO", description = "who approves (approved_by)")
        String by;

        Approve(Context context) {
            super(context);
        }

        @Override
        public Integer call() {
            Map<String, Object> body = new LinkedHashMap<>();
            if (feedback != null) {
                body.put("feedback", feedback);
            }
            if (by != null) {
                body.put("approved_by", by);
            }
            JsonNode res = api().post("/v1/human-approvals/" + ApiClient.encode(id) + "/approve", body);
            print(res, "approval " + id + " " + res.path("status").asText());
            return 0;
        }
    }

    @Command(name = "reject", mixinStandardHelpOptions = true, description = "Reject a pending request.")
    static final class Reject extends ClientCommand {
        @Parameters(paramLabel = "ID", description = "the approval's id")
        String id;
        @Option(names = "--reason", paramLabel = "TEXT", required = true, description = "why (the workflow sees it)")
        String reason;
        @Option(names = "--by", paramLabel = "WHO", description = "who rejects (rejected_by)")
        String by;

        Reject(Context context) {
            super(context);
        }

        @Override
        public Integer call() {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("reason", reason);
            if (by != null) {
                body.put("rejected_by", by);
            }
            JsonNode res = api().post("/v1/human-approvals/" + ApiClient.encode(id) + "/reject", body);
            print(res, "approval " + id + " " + res.path("status").asText());
            return 0;
        }
    }
}
