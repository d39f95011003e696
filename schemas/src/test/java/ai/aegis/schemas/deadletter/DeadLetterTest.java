package ai.aegis.schemas.deadletter;

import ai.aegis.schemas.SchemaResources;
import ai.aegis.schemas.SchemaValidation;
import ai.aegis.schemas.json.Json;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

class DeadLetterTest {

    private static final Instant T = Instant.parse("2026-03-05T14:00:05Z");

    @Test
    void aTextValueIsKeptAsTextAndValidatesAgainstTheSchema() {
        DeadLetter dl = DeadLetter.of("execution-worker", "aegis.execution.requests.v1", 3, 1207, "k",
                "{}".getBytes(StandardCharsets.UTF_8), new IllegalArgumentException("execution_id is missing"), T);
        assertThat(dl.value()).isEqualTo("{}");
        assertThat(dl.valueBase64()).isNull();
        assertThat(dl.valueBytes()).isEqualTo(2);
        assertThat(dl.errorClass()).isEqualTo(IllegalArgumentException.class.getName());
        assertThat(SchemaValidation.validate(SchemaResources.DEAD_LETTER, Json.tree(Json.write(dl)))).isEmpty();
    }

    @Test
    void bytesThatAreNotUtf8TravelAsBase64AndReadBackTheSame() {
        byte[] random = {(byte) 0xff, (byte) 0xfe, 0x00, 0x41, (byte) 0xc3};
        DeadLetter dl = DeadLetter.of("ingress-tail", "t", 0, 0, null, random, new RuntimeException(), T);
        assertThat(dl.value()).isNull();
        assertThat(dl.valueAsBytes()).isEqualTo(random);
        DeadLetter read = Json.read(Json.write(dl), DeadLetter.class);
        assertThat(read).isEqualTo(dl);
        assertThat(SchemaValidation.validate(SchemaResources.DEAD_LETTER, Json.tree(Json.write(dl)))).isEmpty();
    }

    @Test
    void aTombstoneHasNoValueAndAHugeValueIsCut() {
        DeadLetter tombstone = DeadLetter.of("approval-service", "t", 0, 5, "k", null, new NullPointerException(), T);
        assertThat(tombstone.valueBytes()).isEqualTo(-1);
        assertThat(tombstone.valueAsBytes()).isNull();

        byte[] huge = new byte[DeadLetter.MAX_VALUE_BYTES + 10];
        Arrays.fill(huge, (byte) 'a');
        DeadLetter cut = DeadLetter.of("w", "t", 0, 6, "k", huge, new RuntimeException("x".repeat(5000)), T);
        assertThat(cut.valueTruncated()).isTrue();
        assertThat(cut.valueBytes()).isEqualTo(huge.length);
        assertThat(cut.value()).hasSize(DeadLetter.MAX_VALUE_BYTES);
        assertThat(cut.errorMessage()).hasSize(DeadLetter.MAX_MESSAGE_CHARS);
    }
}
