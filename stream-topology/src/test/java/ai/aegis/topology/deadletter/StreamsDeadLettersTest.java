package ai.aegis.topology.deadletter;

import ai.aegis.schemas.deadletter.DeadLetter;
import ai.aegis.schemas.json.Json;
import ai.aegis.schemas.topic.CloudEventHeaders;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.NotLeaderOrFollowerException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.errors.ProductionExceptionHandler;
import org.apache.kafka.streams.errors.ProcessorStateException;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.Record;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What each Kafka Streams handler answers, as pure logic on a context like Kafka Streams builds (the handlers on a
 * running application: WorkflowEngineServiceTest, ApprovalServiceTest).
 */
class StreamsDeadLettersTest {

    private static final String DLQ = "t.deadletter.v1";

    private final StreamsDeadLetters letters = new StreamsDeadLetters(DLQ, "test-app", "/aegis/test");

    private Map<String, Object> config() {
        Properties p = new Properties();
        letters.install(p);
        @SuppressWarnings({"unchecked", "rawtypes"})
        Map<String, Object> map = (Map) p;
        return map;
    }

    private static ErrorHandlerContext context(String topic, byte[] key, byte[] value) {
        return new ErrorHandlerContext() {
            public String topic() { return topic; }
            public int partition() { return 2; }
            public long offset() { return 41; }
            public Headers headers() { return new RecordHeaders(); }
            public String processorNodeId() { return "node"; }
            public TaskId taskId() { return new TaskId(0, 2); }
            public long timestamp() { return 0; }
            public byte[] sourceRawKey() { return key; }
            public byte[] sourceRawValue() { return value; }
        };
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void anUnreadableInputIsResumedWithItsDeadLetter() {
        StreamsDeadLetters.OnDeserialization handler = new StreamsDeadLetters.OnDeserialization();
        handler.configure(config());
        var response = handler.handleError(context("t.in", utf8("k"), utf8("null")),
                new ConsumerRecord<>("t.in", 2, 41, utf8("k"), utf8("null")), new IllegalArgumentException("bad"));

        assertThat(response.result()).isEqualTo(DeserializationExceptionHandler.Result.RESUME);
        ProducerRecord<byte[], byte[]> record = response.deadLetterQueueRecords().getFirst();
        assertThat(record.topic()).isEqualTo(DLQ);
        assertThat(new String(record.key(), StandardCharsets.UTF_8)).isEqualTo("k");
        DeadLetter letter = Json.read(record.value(), DeadLetter.class);
        assertThat(letter.sourceTopic()).isEqualTo("t.in");
        assertThat(letter.sourcePartition()).isEqualTo(2);
        assertThat(letter.sourceOffset()).isEqualTo(41);
        assertThat(letter.consumer()).isEqualTo("test-app");
        assertThat(letter.value()).isEqualTo("null");
        assertThat(CloudEventHeaders.get(record.headers(), DeadLetter.SOURCE_OFFSET)).contains("41");
        assertThat(letters.written()).isEqualTo(1);
    }

    @Test
    void aProcessorFailingOnTheRecordDeadLettersItButAFaultOfKafkaItselfFailsTheTask() {
        StreamsDeadLetters.OnProcessing handler = new StreamsDeadLetters.OnProcessing();
        handler.configure(config());
        Record<String, String> record = new Record<>("k", "v", 0);

        var onRecord = handler.handleError(context("t.in", utf8("k"), utf8("{}")), record,
                new NullPointerException("a field the rules need"));
        assertThat(onRecord.result()).isEqualTo(ProcessingExceptionHandler.Result.RESUME);
        assertThat(onRecord.deadLetterQueueRecords()).hasSize(1);

        var onStore = handler.handleError(context("t.in", utf8("k"), utf8("{}")), record,
                new ProcessorStateException("the store cannot be written"));
        assertThat(onStore.result()).isEqualTo(ProcessingExceptionHandler.Result.FAIL);
        assertThat(onStore.deadLetterQueueRecords()).isEmpty();

        var inPunctuation = handler.handleError(context(null, null, null), null, new IllegalStateException("x"));
        assertThat(inPunctuation.result()).isEqualTo(ProcessingExceptionHandler.Result.RESUME);
        assertThat(inPunctuation.deadLetterQueueRecords()).isEmpty();
        assertThat(letters.written()).isEqualTo(1);
    }

    @Test
    void anOutputIsRetriedWhenTheErrorPassesAndDeadLetteredWhenItDoesNot() {
        StreamsDeadLetters.OnProduction handler = new StreamsDeadLetters.OnProduction();
        handler.configure(config());
        ProducerRecord<byte[], byte[]> output = new ProducerRecord<>("t.out", utf8("k"), utf8("{\"big\":true}"));

        assertThat(handler.handleError(context("t.in", utf8("k"), null), output,
                new NotLeaderOrFollowerException("moving")).result())
                .isEqualTo(ProductionExceptionHandler.Result.RETRY);

        var tooLarge = handler.handleError(context("t.in", utf8("k"), null), output,
                new RecordTooLargeException("too large"));
        assertThat(tooLarge.result()).isEqualTo(ProductionExceptionHandler.Result.RESUME);
        DeadLetter letter = Json.read(tooLarge.deadLetterQueueRecords().getFirst().value(), DeadLetter.class);
        assertThat(letter.sourceTopic()).isEqualTo("t.in");
        assertThat(letter.value()).isEqualTo("{\"big\":true}");
        assertThat(letter.errorClass()).isEqualTo(RecordTooLargeException.class.getName());
        assertThat(letter.errorMessage()).contains("t.out").contains("too large");

        // no input to name (a punctuation's output), or the dead letter itself: the task fails, reported
        assertThat(handler.handleError(context(null, null, null), output, new RecordTooLargeException("x")).result())
                .isEqualTo(ProductionExceptionHandler.Result.FAIL);
        assertThat(handler.handleError(context("t.in", null, null), new ProducerRecord<>(DLQ, null, utf8("x")),
                new RecordTooLargeException("x")).result()).isEqualTo(ProductionExceptionHandler.Result.FAIL);
    }
}
