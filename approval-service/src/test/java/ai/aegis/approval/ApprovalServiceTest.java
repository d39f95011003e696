package ai.aegis.approval;

import ai.aegis.http.ErrorHandling;
import ai.aegis.testing.SharedTestBroker;
import ai.aegis.schemas.approval.ApprovalDecision;
import ai.aegis.schemas.approval.ApprovalRequest;
import ai.aegis.schemas.deadletter.DeadLetter;
import ai.aegis.schemas.json.Json;
import ai.aegis.schemas.topic.CloudEventHeaders;
import ai.aegis.schemas.topic.TopicCatalog;
import ai.aegis.testing.TopicRecords;
import ai.aegis.topology.kafka.DurablePublisher;
import ai.aegis.topology.kafka.KafkaSettings;
import ai.aegis.topology.serde.MalformedRecordException;
import ai.aegis.topology.tail.TopicTail;
import com.fasterxml.jackson.databind.JsonNode;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.HttpRouting;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The approval service on the real broker, through real HTTP: exact bodies, a restart, and two instances sharing the
 * work. Each test uses its own topic prefix, hence its own Kafka Streams application id.
 */
class ApprovalServiceTest {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final String NOT_FOUND = "{\"error\":\"Request not found or already completed\"}";

    @TempDir
    Path tmp;

    private KafkaSettings kafka;
    private DurablePublisher engine;
    private final List<AutoCloseable> open = new ArrayList<>();
    private long age = 100;

    @BeforeEach
    void setUp() {
        kafka = KafkaSettings.of(SharedTestBroker.get().bootstrapServers(),
                new TopicCatalog("t" + UUID.randomUUID().toString().replace("-", ""), 3), "approval-test");
        engine = new DurablePublisher(kafka.withClientId("test-engine"), "/aegis/test-engine/host");
    }

    @AfterEach
    void tearDown() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
        engine.close();
    }

    /** A service with its HTTP listener. */
    private record Node(ApprovalService service, WebServer server) implements AutoCloseable {
        URI uri(String path) {
            return URI.create("http://127.0.0.1:" + server.port() + ApprovalRoutes.PATH + path);
        }

        @Override
        public void close() {
            server.stop();
            service.close();
        }
    }

    private Node node(ApprovalConfig config, Path dataDir) {
        ApprovalService service = ApprovalService.start(config, kafka, dataDir);
        // stands in for the ingress: its error handling, and its authentication, which puts the caller into the
        // request context
        HttpRouting.Builder routing = HttpRouting.builder();
        ErrorHandling.install(routing);
        routing.addFilter((chain, req, res) -> {
                    req.headers().first(io.helidon.http.HeaderNames.create("X-Test-Subject"))
                            .ifPresent(s -> req.context().register(ai.aegis.schemas.auth.Subject.CONTEXT_KEY, s));
                    chain.proceed();
                })
                .register(ApprovalRoutes.PATH, new ApprovalRoutes(service));
        WebServer server = WebServer.builder().host("127.0.0.1").port(0)
                .shutdownGracePeriod(Duration.ofSeconds(1)).routing(routing).build().start();
        Node node = new Node(service, server);
        open.add(node);
        return node;
    }

    private Node runningNode(String dir) {
        Node node = node(ApprovalConfig.defaults(), tmp.resolve(dir));
        await().atMost(Duration.ofSeconds(60)).until(node.service()::isRunning);
        return node;
    }

    private ApprovalRequest request(String executionId, long timeoutSeconds) throws Exception {
        String id = UUID.randomUUID().toString();
        ApprovalRequest r = new ApprovalRequest(id, UUID.randomUUID().toString(), "Review", executionId,
                "Review the draft and approve or reject.",
                // distinct, whole seconds: the list is oldest first, and the reference shows whole seconds
                Instant.now().truncatedTo(ChronoUnit.SECONDS).minusSeconds(age--),
                timeoutSeconds, null);
        engine.publish(kafka.topics().approvalRequests().name(), id, Json.writeBytes(r), ApprovalRequest.CE_TYPE);
        return r;
    }

    private record Reply(int status, String body, HttpResponse<String> response) {
        JsonNode json() {
            return Json.tree(body);
        }
    }

    private static Reply get(Node node, String path) throws Exception {
        return send(HttpRequest.newBuilder(node.uri(path)).GET());
    }

    private static Reply post(Node node, String path, String body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(node.uri(path))
                .POST(body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        if (headers.length > 0) {
            b.headers(headers);
        }
        return send(b);
    }

    private static Reply send(HttpRequest.Builder b) throws Exception {
        HttpResponse<String> r = HTTP.send(b.timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(
                v -> assertThat(v).startsWith("application/json"));
        return new Reply(r.statusCode(), r.body(), r);
    }

    private static String expectedView(ApprovalRequest r) {
        return "{\"id\":\"" + r.id() + "\",\"execution_id\":\""
                + (r.executionId() != null ? r.executionId() : r.workflowExecutionId()) + "\",\"prompt\":\""
                + r.prompt() + "\",\"created_at\":\"" + r.createdAt() + "\",\"timeout_seconds\":"
                + r.timeoutSeconds() + ",\"workflow_execution_id\":\"" + r.workflowExecutionId()
                + "\",\"state_name\":\"" + r.stateName() + "\"}";
    }

    /** Every committed decision on the topic, read to its end. */
    private List<ApprovalDecision> decisions() {
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(kafka.withClientId("test-reader").consumer(null))) {
            String topic = kafka.topics().approvalDecisions().name();
            List<TopicPartition> parts = c.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            c.assign(parts);
            c.seekToBeginning(parts);
            var ends = c.endOffsets(parts);
            List<ApprovalDecision> out = new ArrayList<>();
            await().atMost(Duration.ofSeconds(20)).until(() -> {
                for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
                    out.add(Json.read(r.value(), ApprovalDecision.class));
                }
                return parts.stream().allMatch(tp -> c.position(tp) >= ends.get(tp));
            });
            return out;
        }
    }

    @Test
    void listGetApproveAndRejectAnswerTheReferenceBodies() throws Exception {
        Node node = runningNode("a");
        ApprovalRequest withExecution = request(UUID.randomUUID().toString(), 86_400);
        ApprovalRequest withoutExecution = request(null, 3600);

        Reply list = get(node, "");
        assertThat(list.status()).isEqualTo(200);
        assertThat(list.json()).isEqualTo(Json.tree("{\"pending_requests\":[" + expectedView(withExecution) + ","
                + expectedView(withoutExecution) + "]}"));

        Reply one = get(node, "/" + withExecution.id());
        assertThat(one.status()).isEqualTo(200);
        assertThat(one.body()).isEqualTo("{\"request\":" + expectedView(withExecution) + "}");
        assertThat(get(node, "/" + withoutExecution.id().toUpperCase()).json().get("request").get("execution_id")
                .asText()).isEqualTo(withoutExecution.workflowExecutionId());

        assertThat(get(node, "/not-a-uuid")).satisfies(r -> {
            assertThat(r.status()).isEqualTo(400);
            assertThat(r.body()).isEqualTo("{\"error\":\"Invalid request ID\"}");
        });
        assertThat(get(node, "/" + UUID.randomUUID())).satisfies(r -> {
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.body()).isEqualTo(NOT_FOUND);
        });

        // approve: bad input first, nothing decided by it
        assertThat(post(node, "/nope/approve", "{}").body()).isEqualTo("{\"error\":\"Invalid request ID\"}");
        Reply malformed = post(node, "/" + withExecution.id() + "/approve", "{\"feedback\":");
        assertThat(malformed.status()).isEqualTo(400);
        assertThat(malformed.json().get("error").asText()).startsWith("Malformed JSON");
        Reply wrongType = post(node, "/" + withExecution.id() + "/approve", "{\"approved_by\":42}");
        assertThat(wrongType.status()).isEqualTo(400);
        assertThat(wrongType.body()).isEqualTo("{\"error\":\"Field 'approved_by' must be a string\"}");

        Reply approved = post(node, "/" + withExecution.id() + "/approve",
                "{\"feedback\":\"Looks good, approved for production.\",\"approved_by\":\"[email protected]\"}");
        assertThat(approved.status()).isEqualTo(200);
        assertThat(approved.body()).isEqualTo("{\"status\":\"approved\"}");
        assertThat(get(node, "/" + withExecution.id())).satisfies(r -> {
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.body()).isEqualTo(NOT_FOUND);
        });
        assertThat(get(node, "").json()).isEqualTo(Json.tree("{\"pending_requests\":["
                + expectedView(withoutExecution) + "]}"));
        Reply again = post(node, "/" + withExecution.id() + "/reject", "{\"reason\":\"too late\"}");
        assertThat(again.status()).isEqualTo(404);
        assertThat(again.body()).isEqualTo(NOT_FOUND);
        assertThat(post(node, "/" + UUID.randomUUID() + "/approve", null).status()).isEqualTo(404);

        // reject: the reason is required and must be a string
        String rejectPath = "/" + withoutExecution.id() + "/reject";
        assertThat(post(node, rejectPath, null)).satisfies(r -> {
            assertThat(r.status()).isEqualTo(400);
            assertThat(r.body()).isEqualTo("{\"error\":\"Missing required field 'reason'\"}");
        });
        assertThat(post(node, rejectPath, "{\"reason\":\"  \"}").body())
                .isEqualTo("{\"error\":\"Missing required field 'reason'\"}");
        assertThat(post(node, rejectPath, "{\"reason\":7}").body())
                .isEqualTo("{\"error\":\"Field 'reason' must be a string\"}");
        assertThat(post(node, rejectPath, "[]").body()).isEqualTo("{\"error\":\"Request body must be a JSON object\"}");
        Reply rejected = post(node, rejectPath, "{\"reason\":\"Needs more citations.\"}",
                "X-Test-Subject", "carol");
        assertThat(rejected.status()).isEqualTo(200);
        assertThat(rejected.body()).isEqualTo("{\"status\":\"rejected\"}");
        assertThat(get(node, "").body()).isEqualTo("{\"pending_requests\":[]}");

        assertThat(decisions()).satisfiesExactlyInAnyOrder(
                d -> {
                    assertThat(d.approvalId()).isEqualTo(withExecution.id());
                    assertThat(d.outcome().wireName()).isEqualTo("approved");
                    assertThat(d.feedback()).isEqualTo("Looks good, approved for production.");
                    assertThat(d.decidedBy()).isEqualTo("[email protected]");
                    assertThat(d.workflowExecutionId()).isEqualTo(withExecution.workflowExecutionId());
                },
                d -> {
                    assertThat(d.approvalId()).isEqualTo(withoutExecution.id());
                    assertThat(d.outcome().wireName()).isEqualTo("rejected");
                    assertThat(d.reason()).isEqualTo("Needs more citations.");
                    assertThat(d.decidedBy()).isEqualTo("carol"); // from the ingress's subject header
                });
    }

    @Test
    void aReplyThatDoesNotComeInTimeAnswers503WithRetryAfter() throws Exception {
        Node node = node(ApprovalConfig.defaults().withReplyTimeout(Duration.ofMillis(1)), tmp.resolve("slow"));
        ApprovalRequest r = request(null, 3600);

        Reply reply = post(node, "/" + r.id() + "/approve", "{}");

        assertThat(reply.status()).isEqualTo(503);
        assertThat(reply.body()).isEqualTo("{\"error\":\"unavailable\"}");
        assertThat(reply.response().headers().firstValue("Retry-After")).contains("5");
    }

    @Test
    void aPendingApprovalSurvivesARestart() throws Exception {
        Path dataDir = tmp.resolve("restart");
        ApprovalConfig config = ApprovalConfig.defaults();
        Node first = node(config, dataDir);
        await().atMost(Duration.ofSeconds(60)).until(first.service()::isRunning);
        ApprovalRequest r = request(null, 3600);
        assertThat(get(first, "/" + r.id()).status()).isEqualTo(200);
        assertThat(get(first, "/" + r.id()).json().has("request")).isTrue();
        first.close();
        open.remove(first);

        Node second = node(config.withNodeId(UUID.randomUUID().toString()), dataDir);

        assertThat(get(second, "").json()).isEqualTo(Json.tree("{\"pending_requests\":[" + expectedView(r) + "]}"));
        Reply approved = post(second, "/" + r.id() + "/approve", null);
        assertThat(approved.status()).isEqualTo(200);
        assertThat(approved.body()).isEqualTo("{\"status\":\"approved\"}");
        assertThat(get(second, "/" + r.id()).body()).isEqualTo(NOT_FOUND);
        assertThat(decisions()).singleElement()
                .satisfies(d -> assertThat(d.outcome().wireName()).isEqualTo("approved"));
    }

    @Test
    void twoInstancesServeTheSameRequestsConsistently() throws Exception {
        Node a = node(ApprovalConfig.defaults(), tmp.resolve("a"));
        Node b = node(ApprovalConfig.defaults(), tmp.resolve("b"));
        assertThat(a.service().nodeId()).isNotEqualTo(b.service().nodeId());
        await().atMost(Duration.ofSeconds(90))
                .until(() -> a.service().isRunning() && b.service().isRunning());
        List<ApprovalRequest> requests = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            requests.add(request(null, 3600));
        }
        ApprovalRequest r = requests.get(0);

        JsonNode listA = get(a, "").json();
        assertThat(listA.get("pending_requests")).hasSize(6);
        assertThat(get(b, "").json()).isEqualTo(listA);

        // every request is decided by its owner, whichever instance took the call
        for (int i = 0; i < requests.size(); i++) {
            Node via = i % 2 == 0 ? a : b;
            assertThat(post(via, "/" + requests.get(i).id() + "/approve", "{}").body())
                    .isEqualTo("{\"status\":\"approved\"}");
        }
        assertThat(get(b, "/" + r.id()).body()).isEqualTo(NOT_FOUND);
        Reply late = post(b, "/" + r.id() + "/reject", "{\"reason\":\"no\"}");
        assertThat(late.status()).isEqualTo(404);
        assertThat(late.body()).isEqualTo(NOT_FOUND);
        assertThat(get(a, "").body()).isEqualTo("{\"pending_requests\":[]}");

        List<ApprovalDecision> decided = decisions();
        assertThat(decided).hasSize(6);
        assertThat(decided).filteredOn(d -> d.approvalId().equals(r.id())).singleElement()
                .satisfies(d -> assertThat(d.outcome().wireName()).isEqualTo("approved"));
    }

    /**
     * JSON {@code null} on the requests topic made the owner's Streams task retry that record forever, so no approval
     * on its partition could be decided again. Now every kind of poison on every approval topic is dead-lettered by
     * whoever reads it (the owner topology, the view's tail, the replies' tail) with its source in the headers, and
     * the approval that follows on the same key is listed and decided as usual.
     */
    @Test
    void poisonOnEveryApprovalTopicIsDeadLetteredAndTheNextApprovalIsDecided() throws Exception {
        Node node = runningNode("poison");
        TopicCatalog topics = kafka.topics();
        String id = UUID.randomUUID().toString();
        byte[][] poison = {"null".getBytes(StandardCharsets.UTF_8), null, "{}".getBytes(StandardCharsets.UTF_8),
                {(byte) 0x80, (byte) 0xff, 0x01}, "{\"id\":[true],\"created_at\":5}".getBytes(StandardCharsets.UTF_8)};
        for (byte[] p : poison) {
            engine.publish(new ProducerRecord<>(topics.approvalRequests().name(), id, p));
            engine.publish(new ProducerRecord<>(topics.approvalCommands().name(), id, p));
            engine.publish(new ProducerRecord<>(topics.approvalDecisions().name(), id, p));
            engine.publish(new ProducerRecord<>(topics.approvalReplies().name(), node.service().nodeId(), p));
        }
        ApprovalRequest request = new ApprovalRequest(id, UUID.randomUUID().toString(), "Review", null,
                "After the poison.", Instant.now().truncatedTo(ChronoUnit.SECONDS), 3600, null);
        engine.publish(topics.approvalRequests().name(), id, Json.writeBytes(request), ApprovalRequest.CE_TYPE);

        assertThat(get(node, "/" + id).body()).isEqualTo("{\"request\":" + expectedView(request) + "}");
        assertThat(post(node, "/" + id + "/approve", "{}").body()).isEqualTo("{\"status\":\"approved\"}");

        String owner = ApprovalService.CONSUMER;
        String view = TopicTail.consumerName(ApprovalService.VIEW_TAIL);
        String replies = TopicTail.consumerName(ApprovalService.REPLY_TAIL);
        int expected = poison.length * 5; // owner: requests + commands; view: requests + decisions; replies
        List<ConsumerRecord<String, byte[]>> dead = TopicRecords.await(kafka.bootstrapServers(),
                topics.deadLetters().name(), r -> r.size() >= expected, Duration.ofSeconds(60));
        Map<String, List<String>> sourcesByConsumer = new TreeMap<>();
        for (ConsumerRecord<String, byte[]> r : dead) {
            DeadLetter letter = Json.read(r.value(), DeadLetter.class);
            assertThat(letter.errorClass()).isEqualTo(MalformedRecordException.class.getName());
            assertThat(CloudEventHeaders.get(r.headers(), DeadLetter.CONSUMER)).contains(letter.consumer());
            assertThat(CloudEventHeaders.get(r.headers(), DeadLetter.SOURCE_TOPIC)).contains(letter.sourceTopic());
            sourcesByConsumer.computeIfAbsent(letter.consumer(), c -> new ArrayList<>()).add(letter.sourceTopic());
        }
        assertThat(sourcesByConsumer.keySet()).containsExactlyInAnyOrder(owner, view, replies);
        assertThat(sourcesByConsumer.get(owner)).hasSize(2 * poison.length).containsOnly(
                topics.approvalRequests().name(), topics.approvalCommands().name());
        assertThat(sourcesByConsumer.get(view)).hasSize(2 * poison.length).containsOnly(
                topics.approvalRequests().name(), topics.approvalDecisions().name());
        assertThat(sourcesByConsumer.get(replies)).hasSize(poison.length)
                .containsOnly(topics.approvalReplies().name());
        assertThat(node.service().deadLetters()).containsEntry(owner, (long) 2 * poison.length)
                .containsEntry(view, (long) 2 * poison.length).containsEntry(replies, (long) poison.length);
        await().atMost(Duration.ofSeconds(30)).until(node.service()::healthy);
        assertThat(node.service().health()).allSatisfy((name, check) ->
                assertThat(check.health().isUp()).as(name).isTrue());
    }
}
