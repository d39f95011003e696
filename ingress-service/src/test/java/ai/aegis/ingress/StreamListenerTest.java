package ai.aegis.ingress;

import ai.aegis.schemas.execution.ExecutionEvent;
import ai.aegis.schemas.json.Json;
import ai.aegis.topology.kafka.KafkaSettings;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The stream listener ({@code stream-port}) through the real broker and real sockets: the same streams, answers and
 * refusals as the public listener's, heartbeats, many subscribers of one execution, and a client that stops reading
 * closed without holding anyone up.
 */
class StreamListenerTest {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final Duration HEARTBEAT = Duration.ofSeconds(1);
    /** Outputs of 4 kB for the slow client: more than any socket buffers between it and the listener hold. */
    private static final int OUTPUTS = 2_500;

    @TempDir
    static Path dataDir;

    private static KafkaSettings kafka;
    private static IngressServer server;
    private static KafkaProducer<String, byte[]> producer;
    private static String token;
    private static String agentId;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void start() throws Exception {
        kafka = TestIngress.kafka("streamport", 1);
        server = TestIngress.start(kafka, IngressConfig.builder().streamPort(0).sseHeartbeat(HEARTBEAT)
                .eventHistoryBytesPerExecution(256 * 1024), dataDir);
        token = TestIngress.token(server);
        producer = new KafkaProducer<>(kafka.producer());
        agentId = Json.tree(api(HttpRequest.newBuilder(publicUri("/v1/agents"))
                .header("Content-Type", "application/yaml")
                .POST(HttpRequest.BodyPublishers.ofString(TestIngress.manifest("streamer")))).body())
                .path("agent_id").asText();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
        if (producer != null) {
            producer.close();
        }
    }

    @Test
    void streamsHistoryThenLiveEventsAndClosesAfterTheTerminalOne() throws Exception {
        String id = execution();
        long started = publish(id, new ExecutionEvent.ExecutionStarted(id, agentId, Instant.now()));
        try (RawHttp stream = new RawHttp(streamPort())) {
            stream.send("GET", "/v1/executions/" + id + "/stream", Map.of("Authorization", "Bearer " + token), null);
            RawHttp.Head head = stream.head();
            assertThat(head.status()).isEqualTo(200);
            assertThat(head.header("content-type")).startsWith("text/event-stream");
            assertThat(head.header("connection")).isEqualTo("close");
            assertThat(stream.nextLine()).isEqualTo(": connected");
            assertThat(stream.nextLine()).isEmpty();
            assertThat(stream.nextLine()).isEqualTo("id: " + started); // history first
            assertThat(stream.nextLine()).startsWith("data: {\"execution_started\"");
            assertThat(stream.nextLine()).isEmpty();

            long output = publish(id, new ExecutionEvent.IterationOutput(id, 1, "stdout", "hello", Instant.now()));
            assertThat(stream.nextLine()).isEqualTo("id: " + output); // live
            assertThat(stream.nextLine()).contains("hello");
            assertThat(stream.nextLine()).isEmpty();

            long done = publish(id, new ExecutionEvent.ExecutionCompleted(id, "done", 1, Instant.now()));
            String rest = stream.untilClosed(); // the connection ends with the terminal event
            assertThat(rest).startsWith("id: " + done + "\ndata: {\"execution_completed\"").endsWith("\n\n");
        }
        assertThat(metric("aegis_stream_listener_streams_open")).isZero();
    }

    @Test
    void resumesAfterLastEventIdAndAnswers204OnceTheClientHasTheEnd() throws Exception {
        String id = execution();
        long started = publish(id, new ExecutionEvent.ExecutionStarted(id, agentId, Instant.now()));
        long output = publish(id, new ExecutionEvent.IterationOutput(id, 1, "stdout", "x", Instant.now()));
        long done = publish(id, new ExecutionEvent.ExecutionCompleted(id, "done", 1, Instant.now()));

        HttpResponse<String> resumed = stream(id, Map.of("Last-Event-ID", Long.toString(started)), "");
        assertThat(resumed.statusCode()).isEqualTo(200);
        assertThat(ids(resumed.body())).containsExactly(output, done);
        // the same resume through the query, as a client that cannot set headers sends it
        assertThat(ids(stream(id, Map.of(), "?last_event_id=" + output).body())).containsExactly(done);

        HttpResponse<String> atEnd = stream(id, Map.of("Last-Event-ID", Long.toString(done)), "");
        assertThat(atEnd.statusCode()).isEqualTo(204);
        assertThat(atEnd.body()).isEmpty();
    }

    @Test
    void refusesWhatThePublicListenerRefusesWithTheSameAnswers() throws Exception {
        String id = execution();
        publish(id, new ExecutionEvent.ExecutionStarted(id, agentId, Instant.now()));
        publish(id, new ExecutionEvent.ExecutionCompleted(id, "done", 1, Instant.now()));

        RawHttp.Reply missing = raw("GET /v1/executions/" + id + "/stream HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat(missing.status()).isEqualTo(401);
        assertThat(missing.header("www-authenticate")).startsWith("Bearer");
        assertThat(Json.tree(missing.body()).path("error").asText()).isEqualTo("Missing bearer token");
        RawHttp.Reply wrong = raw("GET /v1/executions/" + id + "/stream HTTP/1.1\r\nAuthorization: Bearer nope"
                + "\r\n\r\n");
        assertThat(wrong.status()).isEqualTo(401);
        assertThat(Json.tree(wrong.body()).path("error").asText()).isEqualTo("Invalid bearer token");
        // a browser's EventSource cannot set headers: the token in the query is accepted
        assertThat(stream(id, Map.of(), "?access_token=" + token).statusCode()).isEqualTo(200);

        assertError(raw(get("/v1/executions/" + UUID.randomUUID() + "/stream")), 404, "Execution not found");
        assertError(raw(get("/v1/workflows/executions/" + UUID.randomUUID() + "/stream")), 404,
                "Workflow execution not found");
        assertError(raw(get("/v1/executions/not-a-uuid/stream")), 400, "Invalid execution ID");
        assertThat(raw(get("/v1/executions")).status()).isEqualTo(404); // streams only
        RawHttp.Reply post = raw("POST /v1/executions/" + id + "/stream HTTP/1.1\r\nAuthorization: Bearer " + token
                + "\r\nContent-Length: 0\r\n\r\n");
        assertThat(post.status()).isEqualTo(405);
        assertThat(post.header("allow")).isEqualTo("GET");
        assertError(raw("GET /v1/executions/" + id + "/stream HTTP/1.1\r\nAuthorization: Bearer " + token
                + "\r\nLast-Event-ID: soon\r\n\r\n"), 400, "Invalid Last-Event-ID");
        assertThat(raw("hello there\r\n\r\n").status()).isEqualTo(400);
        assertThat(raw("GET / HTTP/2.0\r\n\r\n").status()).isEqualTo(505);
        assertThat(raw("GET /v1/executions/" + id + "/stream HTTP/1.1\r\nX-Big: " + "a".repeat(9000) + "\r\n\r\n")
                .status()).isEqualTo(431);
        // and the listener is still there for the next client
        assertThat(stream(id, Map.of(), "").statusCode()).isEqualTo(200);
    }

    @Test
    void everySubscriberOfAnExecutionGetsEachEventAndIdleOnesGetHeartbeats() throws Exception {
        String id = execution();
        publish(id, new ExecutionEvent.ExecutionStarted(id, agentId, Instant.now()));
        List<RawHttp> streams = new ArrayList<>();
        try {
            for (int i = 0; i < 50; i++) {
                RawHttp s = new RawHttp(streamPort());
                s.send("GET", "/v1/executions/" + id + "/stream", Map.of("Authorization", "Bearer " + token), null);
                assertThat(s.head().status()).isEqualTo(200);
                assertThat(s.nextLine()).isEqualTo(": connected");
                s.nextLine();
                s.nextLine(); // id of execution_started
                s.nextLine();
                s.nextLine();
                streams.add(s);
            }
            // nothing happens for longer than a heartbeat: each idle stream hears a keep-alive comment
            RawHttp first = streams.getFirst();
            assertThat(first.nextLine()).isEqualTo(": keep-alive");
            assertThat(first.nextLine()).isEmpty();

            long output = publish(id, new ExecutionEvent.IterationOutput(id, 1, "stdout", "all", Instant.now()));
            for (RawHttp s : streams) {
                String line = s.nextLine();
                while (line.startsWith(":") || line.isEmpty()) {
                    line = s.nextLine(); // heartbeats that came first
                }
                assertThat(line).isEqualTo("id: " + output);
            }
            assertThat(metric("aegis_stream_listener_streams_open")).isGreaterThanOrEqualTo(50);
            String ready = HTTP.send(HttpRequest.newBuilder(publicUri("/health/ready")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertThat(Json.tree(ready).path("components").path("stream_listener").path("state").asText())
                    .isEqualTo("up");
        } finally {
            for (RawHttp s : streams) {
                s.close();
            }
        }
        await().atMost(WAIT).until(() -> metric("aegis_stream_listener_streams_open") == 0);
    }

    @Test
    void aClientThatStopsReadingIsClosedAndNoOtherStreamWaitsForIt() throws Exception {
        String id = execution();
        long stalledBefore = metric("aegis_sse_streams_stalled_total");
        try (Socket slow = new Socket()) {
            slow.setReceiveBufferSize(4096); // and it never reads: the listener's writes to it stop at once
            slow.connect(new InetSocketAddress("127.0.0.1", streamPort()), 5000);
            OutputStream out = slow.getOutputStream();
            out.write(("GET /v1/executions/" + id + "/stream HTTP/1.1\r\nAuthorization: Bearer " + token
                    + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            await().atMost(WAIT).until(() -> metric("aegis_stream_listener_streams_open") >= 1);

            publish(id, new ExecutionEvent.ExecutionStarted(id, agentId, Instant.now()));
            String line = "y".repeat(4_000);
            for (int i = 0; i < OUTPUTS; i++) {
                producer.send(new ProducerRecord<>(topic(), id, Json.writeBytes(
                        new ExecutionEvent.IterationOutput(id, 1, "stdout", i + " " + line, Instant.now()))));
            }
            publish(id, new ExecutionEvent.ExecutionCompleted(id, "done", 1, Instant.now()));

            // about 10 MB: another client of the same execution gets all of it while the slow one takes nothing
            HttpResponse<String> fast = stream(id, Map.of(), "");
            assertThat(ids(fast.body())).hasSize(OUTPUTS + 2);
            // the slow one is closed after two heartbeat intervals without taking its batch
            await().atMost(WAIT).until(() -> metric("aegis_sse_streams_stalled_total") > stalledBefore);
            InputStream in = slow.getInputStream();
            slow.setSoTimeout(30_000);
            long read = 0;
            for (byte[] buf = new byte[64 * 1024]; ; ) {
                int n = in.read(buf);
                if (n < 0) {
                    break; // closed: it resumes with Last-Event-ID
                }
                read += n;
            }
            assertThat(read).as("what it got before it was closed").isPositive().isLessThan(OUTPUTS * 4_000L);
        }
        await().atMost(WAIT).until(() -> metric("aegis_stream_listener_streams_open") == 0);
    }

    @Test
    void refusesConnectionsPastItsLimitWith503() throws Exception {
        Path dir = dataDir.resolve("limited");
        try (IngressServer limited = TestIngress.start(TestIngress.kafka("streamlimit", 1),
                IngressConfig.builder().streamPort(0).maxConnections(3), dir)) {
            int port = limited.streamPort().orElseThrow();
            List<Socket> held = new ArrayList<>();
            try {
                for (int i = 0; i < 3; i++) {
                    Socket s = new Socket("127.0.0.1", port); // connected, head not sent yet: it holds a place
                    held.add(s);
                }
                await().atMost(WAIT).until(() -> {
                    try (RawHttp extra = new RawHttp(port)) {
                        extra.send("GET", "/v1/executions/" + UUID.randomUUID() + "/stream", Map.of(), null);
                        RawHttp.Reply reply = extra.reply();
                        return reply.status() == 503 && reply.header("retry-after").equals("1");
                    } catch (IOException closedFirst) {
                        return false;
                    }
                });
            } finally {
                for (Socket s : held) {
                    s.close();
                }
            }
            // places come back when clients leave
            await().atMost(WAIT).until(() -> {
                try (RawHttp again = new RawHttp(port)) {
                    again.send("GET", "/v1/executions/" + UUID.randomUUID() + "/stream", Map.of(), null);
                    return again.reply().status() == 401;
                }
            });
        }
    }

    // ---- helpers ----

    private static void assertError(RawHttp.Reply reply, int status, String message) {
        assertThat(reply.status()).isEqualTo(status);
        assertThat(reply.header("content-type")).isEqualTo("application/json");
        assertThat(Json.tree(reply.body()).path("error").asText()).isEqualTo(message);
    }

    private static String get(String path) {
        return "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + token + "\r\n\r\n";
    }

    /** Sends {@code request} as it is on a new connection to the stream listener and reads the whole answer. */
    private static RawHttp.Reply raw(String request) throws IOException {
        try (RawHttp http = new RawHttp(streamPort())) {
            http.write(request);
            RawHttp.Reply reply = http.reply();
            assertThat(reply.header("connection")).isEqualTo("close");
            return reply;
        }
    }

    /** A whole stream over java.net.http, read to the close (or the answer when it is not a stream). */
    private static HttpResponse<String> stream(String id, Map<String, String> headers, String query)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + streamPort()
                + "/v1/executions/" + id + "/stream" + query)).timeout(WAIT).GET();
        if (!query.contains("access_token")) {
            b.header("Authorization", "Bearer " + token);
        }
        headers.forEach(b::header);
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static List<Long> ids(String body) {
        List<Long> ids = new ArrayList<>();
        for (String line : body.split("\n")) {
            if (line.startsWith("id: ")) {
                ids.add(Long.parseLong(line.substring(4)));
            }
        }
        return ids;
    }

    private static String execution() throws Exception {
        return Json.tree(api(HttpRequest.newBuilder(publicUri("/v1/executions"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(Json.write(Map.of("agent_id", agentId, "input", "x")))))
                .body()).path("execution_id").asText();
    }

    private static String topic() {
        return kafka.topics().executionEvents().name();
    }

    /** Writes one event and returns its offset: its id on the stream. */
    private static long publish(String id, ExecutionEvent event) throws Exception {
        RecordMetadata written = producer.send(new ProducerRecord<>(topic(), id, Json.writeBytes(event))).get();
        return written.offset();
    }

    private static long metric(String name) throws Exception {
        String metrics = api(HttpRequest.newBuilder(publicUri("/metrics")).GET()).body();
        for (String line : metrics.split("\n")) {
            if (line.startsWith(name + " ")) {
                return (long) Double.parseDouble(line.substring(name.length() + 1).strip());
            }
        }
        throw new AssertionError(name + " is not in /metrics");
    }

    private static int streamPort() {
        return server.streamPort().orElseThrow();
    }

    private static URI publicUri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }

    private static HttpResponse<String> api(HttpRequest.Builder builder) throws Exception {
        return HTTP.send(builder.header("Authorization", "Bearer " + token).timeout(WAIT).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
