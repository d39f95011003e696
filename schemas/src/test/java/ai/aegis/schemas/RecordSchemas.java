package ai.aegis.schemas;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;

import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Keeps a schema and its record from drifting apart: the schema object's properties are exactly the record's
 * components in snake_case (same order), every primitive component (always written) is required, and timestamps
 * are date-time.
 */
public final class RecordSchemas {

    private static final PropertyNamingStrategies.SnakeCaseStrategy SNAKE = new PropertyNamingStrategies.SnakeCaseStrategy();

    private RecordSchemas() {
    }

    public static void assertDescribes(JsonNode schemaObject, Class<?> record) {
        String name = record.getSimpleName();
        Set<String> properties = new LinkedHashSet<>();
        schemaObject.get("properties").fieldNames().forEachRemaining(properties::add);
        List<RecordComponent> components = Arrays.asList(record.getRecordComponents());
        assertThat(properties).as(name).containsExactlyElementsOf(
                components.stream().map(c -> SNAKE.translate(c.getName())).toList());

        List<String> required = new ArrayList<>();
        schemaObject.get("required").forEach(r -> required.add(r.asText()));
        assertThat(properties).as(name).containsAll(required);
        assertThat(required).as(name).containsAll(components.stream().filter(c -> c.getType().isPrimitive())
                .map(c -> SNAKE.translate(c.getName())).toList());
        properties.stream().filter(p -> p.endsWith("_at")).forEach(p ->
                assertThat(schemaObject.at("/properties/" + p + "/format").asText()).as(name + "." + p)
                        .isEqualTo("date-time"));
    }
}
