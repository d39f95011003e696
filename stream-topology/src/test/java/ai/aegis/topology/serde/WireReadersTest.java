package ai.aegis.topology.serde;

import ai.aegis.schemas.execution.ExecutionCommand;
import ai.aegis.schemas.execution.ExecutionEvent;
import ai.aegis.schemas.json.Json;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The strict readers refuse everything that is not a complete record of its kind, and read what is. */
class WireReadersTest {

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aCompleteRecordIsRead() {
        ExecutionCommand cancel = new ExecutionCommand(ExecutionCommand.CANCEL, "e-1", "why", Instant.now());
        assertThat(WireReaders.EXECUTION_COMMAND.read(Json.writeBytes(cancel))).isEqualTo(cancel);
        ExecutionEvent started = new ExecutionEvent.ExecutionStarted("e-1", "a-1", Instant.parse("2026-01-01T00:00:00Z"));
        assertThat(WireReaders.EXECUTION_EVENT.read(Json.writeBytes(started))).isEqualTo(started);
    }

    @Test
    void tombstonesJsonNullOtherShapesAndMissingFieldsAreRefusedSayingWhat() {
        assertThatThrownBy(() -> WireReaders.EXECUTION_COMMAND.read(null))
                .isInstanceOf(MalformedRecordException.class).hasMessageContaining("tombstone");
        assertThatThrownBy(() -> WireReaders.EXECUTION_COMMAND.read(utf8("null")))
                .isInstanceOf(MalformedRecordException.class).hasMessageContaining("JSON null");
        assertThatThrownBy(() -> WireReaders.EXECUTION_COMMAND.read(utf8("{}")))
                .isInstanceOf(MalformedRecordException.class).hasMessage("ExecutionCommand without command");
        assertThatThrownBy(() -> WireReaders.EXECUTION_COMMAND.read(utf8("{\"command\":\"cancel\",\"execution_id\":\" \"}")))
                .hasMessage("ExecutionCommand without execution_id");
        assertThatThrownBy(() -> WireReaders.EXECUTION_COMMAND.read(utf8("[1]")))
                .isInstanceOf(MalformedRecordException.class).hasMessageStartingWith("not a ExecutionCommand: ")
                .hasMessageNotContaining("\n");
        assertThatThrownBy(() -> WireReaders.EXECUTION_COMMAND.read(new byte[] {(byte) 0xff, 0x00}))
                .isInstanceOf(MalformedRecordException.class);
        assertThatThrownBy(() -> WireReaders.EXECUTION_EVENT.read(utf8("{}")))
                .isInstanceOf(MalformedRecordException.class);
        assertThatThrownBy(() -> WireReaders.EXECUTION_EVENT.read(utf8("{\"execution_completed\":{}}")))
                .hasMessage("ExecutionEvent without execution_id");
        assertThatThrownBy(() -> WireReaders.DEAD_LETTER.read(utf8("{}")))
                .isInstanceOf(MalformedRecordException.class);
    }

    @Test
    void keysAreRequiredOnRecordsAndInStreamsSources() {
        assertThat(WireReaders.key(new ConsumerRecord<>("t", 0, 0, "k", new byte[0]))).isEqualTo("k");
        assertThatThrownBy(() -> WireReaders.key(new ConsumerRecord<>("t", 0, 0, null, new byte[0])))
                .isInstanceOf(MalformedRecordException.class).hasMessageContaining("without a key");
        assertThatThrownBy(() -> WireReaders.requiredKey().deserializer().deserialize("t", null))
                .isInstanceOf(MalformedRecordException.class);
        assertThat(WireReaders.requiredKey().deserializer().deserialize("t", utf8("id"))).isEqualTo("id");
    }
}
