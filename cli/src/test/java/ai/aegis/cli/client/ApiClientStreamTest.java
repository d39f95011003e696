package ai.aegis.cli.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link ApiClient#stream} against a real HTTP server that stalls, or only sends keep-alives, or refuses. */
class ApiClientStreamTest {

    private static final Duration IDLE = Duration.ofSeconds(1);

    private final CountDownLatch release = new CountDownLatch(1);
    private HttpServer server;

    private ApiClient serve(String path, Handler handler) throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext(path, ex -> {
            try (ex) {
                handler.handle(ex);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        server.start();
        return new ApiClient("http://127.0.0.1:" + server.getAddress().getPort(), null, IDLE);
    }

    private interface Handler {
        void handle(HttpExchange ex) throws IOException, InterruptedException;
    }

    @AfterEach
    void stop() {
        release.countDown();
        server.stop(0);
    }

    private static void stream(HttpExchange ex) throws IOException {
        ex.getResponseHeaders().add("Content-Type", "text/event-stream");
        ex.sendResponseHeaders(200, 0);
    }

    private static void write(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    @Test
    void aStreamThatFallsSilentIsGivenUpAfterTheIdleLimit() throws Exception {
        ApiClient api = serve("/s", ex -> {
            stream(ex);
            write(ex.getResponseBody(), "data: {\"execution_started\":{}}\n\n");
            release.await(30, TimeUnit.SECONDS); // then nothing, not even a keep-alive
        });
        List<JsonNode> frames = new ArrayList<>();
        long start = System.nanoTime();

        assertThatThrownBy(() -> api.stream("/s", frames::add)).isInstanceOf(CliException.class)
                .hasMessageEndingWith("brought nothing for 1 s, not even a keep-alive");

        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
        assertThat(frames).hasSize(1);
        assertThat(frames.getFirst().has("execution_started")).isTrue();
    }

    @Test
    void keepAlivesKeepAQuietStreamOpenUntilItsEnd() throws Exception {
        ApiClient api = serve("/s", ex -> {
            stream(ex);
            OutputStream out = ex.getResponseBody();
            for (int i = 0; i < 8; i++) { // 2 s of keep-alives, twice the idle limit
                write(out, ": keep-alive\n\n");
                Thread.sleep(250); // the server's pace, not a wait for the test
            }
            write(out, "id: 7\ndata: {\"execution_completed\":\ndata: {\"total_iterations\":1}}\n\n");
        });
        List<JsonNode> frames = new ArrayList<>();

        assertThat(api.stream("/s", frames::add)).isTrue();

        assertThat(frames).hasSize(1);
        assertThat(frames.getFirst().path("execution_completed").path("total_iterations").asInt()).isEqualTo(1);
    }

    @Test
    void aRefusedStreamIsTheApisErrorInOneLine() throws Exception {
        ApiClient api = serve("/s", ex -> {
            byte[] body = "{\"error\":\"Execution not found\"}".getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(404, body.length);
            ex.getResponseBody().write(body);
        });

        assertThatThrownBy(() -> api.stream("/s", f -> true)).isInstanceOf(CliException.class)
                .hasMessage("404 Execution not found");
    }
}
