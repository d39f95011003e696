package ai.aegis.ingress.executions;

import ai.aegis.http.Api;
import ai.aegis.http.BadRequest;
import ai.aegis.ingress.stream.EventStream;
import ai.aegis.ingress.http.IngressAnswers;
import ai.aegis.schemas.Ids;
import ai.aegis.topology.executions.ExecutionReadModel;
import ai.aegis.topology.executions.ExecutionView;
import ai.aegis.topology.kafka.DurablePublisher;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.util.Map;
import java.util.Optional;

/** {@code /v1/executions}: start, get, list, and the event stream. */
public final class ExecutionRoutes implements HttpService {

    public static final int DEFAULT_LIST_LIMIT = 20;
    public static final int MAX_LIST_LIMIT = 1000;
    /** How long a cancel request waits for the execution to end before answering 202. */
    static final java.time.Duration CANCEL_WAIT = java.time.Duration.ofSeconds(10);

    private final ExecutionService service;
    private final ExecutionReadModel readModel;
    private final EventStream stream;
    private final Runnable awaitViews;

    /** @param awaitViews waits (bounded) until this node has read the topics, after a start */
    public ExecutionRoutes(ExecutionService service, ExecutionReadModel readModel, EventStream stream,
                           Runnable awaitViews) {
        this.service = service;
        this.readModel = readModel;
        this.stream = stream;
        this.awaitViews = awaitViews;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post("/", this::start)
                .get("/", this::list)
                .get("/{id}/stream", this::stream)
                .post("/{id}/cancel", this::cancel)
                .get("/{id}", this::get);
    }

    private void start(ServerRequest req, ServerResponse res) {
        awaitViews.run();
        try {
            Api.ok(res, Map.of("execution_id", service.start(Api.body(req))));
        } catch (DurablePublisher.UnavailableException e) {
            Api.unavailable(res);
        } catch (ExecutionAdmission.RefusedException e) {
            res.header(HeaderNames.RETRY_AFTER, ExecutionAdmission.RETRY_AFTER_SECONDS);
            Api.json(res, e.refusal().status(), e.refusal().body());
        }
    }

    private void cancel(ServerRequest req, ServerResponse res) {
        String id = executionId(req);
        awaitViews.run();
        try {
            ExecutionView v = service.cancel(id, CANCEL_WAIT);
            IngressAnswers.cancelAnswer(res, "execution_id", id, v.terminal(), v.status().wireName());
        } catch (DurablePublisher.UnavailableException e) {
            Api.unavailable(res);
        }
    }

    private void get(ServerRequest req, ServerResponse res) {
        String id = executionId(req);
        awaitViews.run();
        readModel.view(id).ifPresentOrElse(v -> Api.ok(res, v), () -> Api.error(res, 404, "Execution not found"));
    }

    private void list(ServerRequest req, ServerResponse res) {
        Optional<String> agentId = Api.query(req, "agent_id");
        if (agentId.isPresent() && !Ids.isUuid(agentId.get())) {
            throw new BadRequest("Invalid agent ID");
        }
        int limit = IngressAnswers.limit(req, DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT);
        Optional<String> status = Api.query(req, "status");
        awaitViews.run();
        Api.ok(res, readModel.list(status, agentId, limit).stream().map(ExecutionView::summary).toList());
    }

    private void stream(ServerRequest req, ServerResponse res) {
        String id = executionId(req);
        awaitViews.run();
        stream.serve(id, req, res);
    }

    private static String executionId(ServerRequest req) {
        return Api.uuidParam(req, "id", "Invalid execution ID");
    }
}
