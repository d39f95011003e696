package ai.aegis.ingress.workflows;

import ai.aegis.http.Api;
import ai.aegis.ingress.stream.EventStream;
import ai.aegis.ingress.http.IngressAnswers;
import ai.aegis.schemas.agent.ManifestException;
import ai.aegis.schemas.workflow.WorkflowRecord;
import ai.aegis.topology.kafka.DurablePublisher;
import ai.aegis.topology.workflow.WorkflowExecutionView;
import ai.aegis.topology.workflow.WorkflowReadModel;
import ai.aegis.topology.workflow.WorkflowRegistryView;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * {@code /v1/workflows}: register (YAML or JSON), list, get, delete, run; and the runs under
 * {@code /v1/workflows/executions}: list, get, cancel and the event stream.
 */
public final class WorkflowRoutes implements HttpService {

    static final int DEFAULT_LIST_LIMIT = 20;
    static final int MAX_LIST_LIMIT = 1000;
    static final Duration CANCEL_WAIT = Duration.ofSeconds(10);

    private final WorkflowService service;
    private final WorkflowRegistryView workflows;
    private final WorkflowReadModel executions;
    private final EventStream stream;
    private final Runnable awaitViews;

    public WorkflowRoutes(WorkflowService service, WorkflowRegistryView workflows, WorkflowReadModel executions,
                          EventStream stream, Runnable awaitViews) {
        this.service = service;
        this.workflows = workflows;
        this.executions = executions;
        this.stream = stream;
        this.awaitViews = awaitViews;
    }

    @Override
    public void routing(HttpRules rules) {
        // the runs first: "executions" is not a workflow name here
        rules.get("/executions", this::listExecutions)
                .get("/executions/{id}/stream", this::stream)
                .post("/executions/{id}/cancel", this::cancel)
                .get("/executions/{id}", this::getExecution)
                .post("/", this::register)
                .get("/", (req, res) -> {
                    awaitViews.run();
                    Api.ok(res, workflows.all().stream().map(WorkflowRecord::summary).toList());
                })
                .post("/{name}/run", this::run)
                .get("/{name}", this::get)
                .delete("/{name}", this::delete);
    }

    private void register(ServerRequest req, ServerResponse res) {
        awaitViews.run();
        boolean force = Api.query(req, "force").map(Boolean::parseBoolean).orElse(false);
        try {
            WorkflowService.Registration r = service.register(Api.body(req), force);
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("name", r.workflow().name());
            body.put("version", r.workflow().version());
            body.put("status", r.created() ? "registered" : "updated");
            Api.json(res, r.created() ? 201 : 200, body);
        } catch (ManifestException e) {
            IngressAnswers.manifestError(res, e);
        } catch (DurablePublisher.UnavailableException e) {
            Api.unavailable(res);
        }
    }

    private void get(ServerRequest req, ServerResponse res) {
        awaitViews.run();
        workflows.get(Api.pathParam(req, "name")).ifPresentOrElse(w -> Api.ok(res, w),
                () -> Api.error(res, 404, "Workflow not found"));
    }

    private void delete(ServerRequest req, ServerResponse res) {
        awaitViews.run();
        try {
            if (service.delete(Api.pathParam(req, "name"))) {
                Api.ok(res, Map.of("success", true));
            } else {
                Api.error(res, 404, "Workflow not found");
            }
        } catch (DurablePublisher.UnavailableException e) {
            Api.unavailable(res);
        }
    }

    private void run(ServerRequest req, ServerResponse res) {
        awaitViews.run();
        try {
            String id = service.run(Api.pathParam(req, "name"), Api.body(req));
            Api.ok(res, Map.of("workflow_execution_id", id));
        } catch (DurablePublisher.UnavailableException e) {
            Api.unavailable(res);
        }
    }

    private void listExecutions(ServerRequest req, ServerResponse res) {
        int limit = IngressAnswers.limit(req, DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT);
        Optional<String> name = Api.query(req, "workflow");
        Optional<String> status = Api.query(req, "status");
        awaitViews.run();
        Api.ok(res, executions.list(status, name, limit).stream().map(WorkflowExecutionView::summary).toList());
    }

    private void getExecution(ServerRequest req, ServerResponse res) {
        String id = executionId(req);
        awaitViews.run();
        executions.view(id).ifPresentOrElse(v -> Api.ok(res, v),
                () -> Api.error(res, 404, "Workflow execution not found"));
    }

    private void cancel(ServerRequest req, ServerResponse res) {
        String id = executionId(req);
        awaitViews.run();
        try {
            WorkflowExecutionView v = service.cancel(id, CANCEL_WAIT);
            IngressAnswers.cancelAnswer(res, "workflow_execution_id", id, v.terminal(), v.status().wireName());
        } catch (DurablePublisher.UnavailableException e) {
            Api.unavailable(res);
        }
    }

    private void stream(ServerRequest req, ServerResponse res) {
        String id = executionId(req);
        awaitViews.run();
        stream.serve(id, req, res);
    }

    private static String executionId(ServerRequest req) {
        return Api.uuidParam(req, "id", "Invalid workflow execution ID");
    }
}
