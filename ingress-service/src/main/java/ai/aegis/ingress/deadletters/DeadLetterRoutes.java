package ai.aegis.ingress.deadletters;

import ai.aegis.http.Api;
import ai.aegis.ingress.http.IngressAnswers;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/**
 * {@code GET /v1/dead-letters?limit=}: the most recent dead letters this node has read, newest first, each as it is
 * on the dead-letter topic. An operator's route: any authenticated caller today; when roles come (OIDC), the
 * operator-only rule attaches to this path ({@link #PATH}).
 */
public final class DeadLetterRoutes implements HttpService {

    public static final String PATH = "/v1/dead-letters";
    public static final int DEFAULT_LIMIT = 100;

    private final DeadLetterView view;

    public DeadLetterRoutes(DeadLetterView view) {
        this.view = view;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/", this::list);
    }

    private void list(ServerRequest req, ServerResponse res) {
        int limit = IngressAnswers.limit(req, Math.min(DEFAULT_LIMIT, view.capacity()), view.capacity());
        Api.ok(res, view.newest(limit));
    }
}
