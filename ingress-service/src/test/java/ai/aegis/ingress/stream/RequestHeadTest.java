package ai.aegis.ingress.stream;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The stream listener's request-head parser, on bytes as a client sends them. */
class RequestHeadTest {

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static RequestHead parse(String head) throws RequestHead.Refused {
        byte[] b = bytes(head);
        int end = RequestHead.end(b, b.length);
        assertThat(end).as("a whole head").isPositive();
        return RequestHead.parse(b, end);
    }

    @Test
    void findsTheEndOfAHeadOnlyOnceItHasAllArrived() {
        byte[] whole = bytes("GET / HTTP/1.1\r\nHost: a\r\n\r\nleftover");
        assertThat(RequestHead.end(whole, whole.length)).isEqualTo(whole.length - "leftover".length());
        assertThat(RequestHead.end(whole, 20)).isEqualTo(-1);
        byte[] bare = bytes("GET / HTTP/1.1\nHost: a\n\n");
        assertThat(RequestHead.end(bare, bare.length)).isEqualTo(bare.length);
    }

    @Test
    void readsMethodPathQueryAndTheHeadersAStreamNeeds() throws Exception {
        RequestHead head = parse("GET /v1/executions/abc/stream?last_event_id=12&access_token=a%2Bb%3D HTTP/1.1\r\n"
                + "Host: x\r\nauthorization: Bearer t0k\r\nLAST-EVENT-ID:  7 \r\nX-Other: skipped\r\n\r\n");
        assertThat(head.method()).isEqualTo("GET");
        assertThat(head.path()).isEqualTo("/v1/executions/abc/stream");
        assertThat(head.query()).containsEntry("last_event_id", "12").containsEntry("access_token", "a+b=");
        assertThat(head.header("authorization")).isEqualTo("Bearer t0k");
        assertThat(head.header("last-event-id")).isEqualTo("7");
        assertThat(head.headers()).doesNotContainKey("x-other").doesNotContainKey("host");
    }

    @Test
    void refusesWhatIsNotAnHttp1RequestHead() {
        assertRefused("hello\r\n\r\n", 400);
        assertRefused("GET /a\r\n\r\n", 400);
        assertRefused("get / HTTP/1.1\r\n\r\n", 400);
        assertRefused("GET a HTTP/1.1\r\n\r\n", 400);
        assertRefused("GET / HTTP/2.0\r\n\r\n", 505);
        assertRefused("GET / SPDY/3\r\n\r\n", 400);
        assertRefused("GET / HTTP/1.1\r\nNoColon\r\n\r\n", 400);
        assertRefused("GET / HTTP/1.1\r\n folded: x\r\n\r\n", 400);
        assertRefused("GET / HTTP/1.1\r\nName : x\r\n\r\n", 400);
        assertRefused("GET /?a=%zz HTTP/1.1\r\n\r\n", 400);
    }

    private static void assertRefused(String head, int status) {
        assertThatThrownBy(() -> parse(head)).isInstanceOfSatisfying(RequestHead.Refused.class,
                r -> assertThat(r.status).isEqualTo(status));
    }

    @Test
    void aRouteKnowsItsStreamsAndNothingElse() {
        StreamRoute route = new StreamRoute("/v1/executions/",
                new ai.aegis.topology.executions.ExecutionReadModel(
                        new ai.aegis.topology.readmodel.EventReadModel.Limits(10, 1024, 1024)),
                "events", "Invalid execution ID", "Execution not found");
        assertThat(route.idIn("/v1/executions/abc/stream")).isEqualTo("abc");
        assertThat(route.idIn("/v1/executions//stream")).isNull();
        assertThat(route.idIn("/v1/executions/a/b/stream")).isNull();
        assertThat(route.idIn("/v1/executions/abc")).isNull();
        assertThat(route.idIn("/v1/workflows/executions/abc/stream")).isNull();
    }
}
