package ai.aegis.worker.runtime;

import ai.aegis.schemas.json.Json;
import ai.aegis.worker.runtime.process.ProcessRuntime;
import ai.aegis.worker.runtime.process.ProcessRuntimeConfig;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/** The same generate/final exchange, with HTTP carried over an AF_UNIX socket instead of TCP. */
class BootstrapUnixSocketTest {

    @TempDir
    Path dir;

    /** One HTTP/1.1 request as the minimal responder saw it. */
    record Seen(String requestLine, Map<String, String> headers, JsonNode body) {
    }

    @Test
    void generateAndFinalOverAUnixSocket() throws Exception {
        Path socketPath = dir.resolve("gw.sock");
        List<Seen> seen = new CopyOnWriteArrayList<>();
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socketPath));
            Thread responder = Thread.ofVirtual().start(() -> serve(server, seen));
            Path workspaces = Files.createDirectories(dir.resolve("ws"));

            Map<String, String> env = new HashMap<>();
            env.put("AEGIS_EXECUTION_ID", "exec-unix");
            env.put("AEGIS_AGENT_ID", "agent-unix");
            env.put("AEGIS_MODEL_ALIAS", "default");
            env.put("AEGIS_DISPATCH_SOCKET", socketPath.toString());
            env.put("AEGIS_EXECUTION_TOKEN", "unix-token");

            SandboxResult result = new ProcessRuntime(new ProcessRuntimeConfig(null, workspaces))
                    .run(BootstrapScriptTest.spec(env, "over the socket"), (stream, line) -> { });

            assertThat(result.exitCode()).as(result.stderr()).isZero();
            assertThat(result.stdout()).isEqualTo("final via unix: over the socket");
            assertThat(seen).hasSize(1);
            Seen generate = seen.getFirst();
            assertThat(generate.requestLine()).isEqualTo("POST /v1/dispatch-gateway HTTP/1.1");
            assertThat(generate.headers()).containsEntry("authorization", "Bearer unix-token");
            assertThat(generate.body().path("type").asText()).isEqualTo("generate");
            assertThat(generate.body().path("execution_id").asText()).isEqualTo("exec-unix");
            server.close();
            responder.join();
        }
    }

    /** A minimal HTTP/1.1 responder: one request per connection, answered with Content-Length and Connection: close. */
    private static void serve(ServerSocketChannel server, List<Seen> seen) {
        while (server.isOpen()) {
            try (SocketChannel channel = server.accept()) {
                InputStream in = Channels.newInputStream(channel);
                String head = readHead(in);
                String[] lines = head.split("\r\n");
                Map<String, String> headers = new HashMap<>();
                for (int i = 1; i < lines.length; i++) {
                    int colon = lines[i].indexOf(':');
                    headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
                            lines[i].substring(colon + 1).trim());
                }
                byte[] body = in.readNBytes(Integer.parseInt(headers.getOrDefault("content-length", "0")));
                JsonNode request = Json.MAPPER.readTree(body);
                seen.add(new Seen(lines[0], headers, request));
                byte[] reply = Json.writeBytes(Map.of("type", "final",
                        "content", "final via unix: " + request.path("prompt").asText()));
                String responseHead = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                        + reply.length + "\r\nConnection: close\r\n\r\n";
                var out = Channels.newOutputStream(channel);
                out.write(responseHead.getBytes(StandardCharsets.US_ASCII));
                out.write(reply);
                out.flush();
            } catch (IOException e) {
                return; // the server channel was closed by the test
            }
        }
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        byte[] end = {'\r', '\n', '\r', '\n'};
        int b;
        while (matched < 4 && (b = in.read()) != -1) {
            head.write(b);
            matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        String text = head.toString(StandardCharsets.US_ASCII);
        return text.substring(0, Math.max(0, text.length() - 4));
    }
}
