package ai.aegis.schemas.stimulus;

import ai.aegis.schemas.RecordSchemas;
import ai.aegis.schemas.SchemaResources;
import ai.aegis.schemas.SchemaValidation;
import ai.aegis.schemas.json.Json;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A direct stimulus route on the wire: literal JSON, round trip, schema, and schema-record agreement. */
class StimulusRouteContractTest {

    private static final StimulusRoute ROUTE = new StimulusRoute("github", "deploy-flow",
            Instant.parse("2026-12-01T10:00:00Z"));

    @Test
    void aRouteRoundTripsAndValidates() {
        String json = Json.write(ROUTE);
        assertThat(Json.tree(json)).isEqualTo(Json.tree("""
                {"source":"github","workflow":"deploy-flow","updated_at":"2026-12-01T10:00:00Z"}"""));
        assertThat(Json.read(json, StimulusRoute.class)).isEqualTo(ROUTE);
        assertThat(SchemaValidation.validate(SchemaResources.STIMULUS_ROUTE, Json.tree(json))).isEmpty();
        RecordSchemas.assertDescribes(Json.tree(SchemaResources.load(SchemaResources.STIMULUS_ROUTE)),
                StimulusRoute.class);
    }

    @Test
    void theSchemaRefusesWhatNoRouteCanBe() {
        ObjectNode upper = (ObjectNode) Json.toTree(ROUTE);
        upper.put("source", "GitHub");
        assertThat(SchemaValidation.validate(SchemaResources.STIMULUS_ROUTE, upper)).isNotEmpty();
        ObjectNode slash = (ObjectNode) Json.toTree(ROUTE);
        slash.put("source", "a/b");
        assertThat(SchemaValidation.validate(SchemaResources.STIMULUS_ROUTE, slash)).isNotEmpty();
        ObjectNode noWorkflow = (ObjectNode) Json.toTree(ROUTE);
        noWorkflow.remove("workflow");
        assertThat(SchemaValidation.validate(SchemaResources.STIMULUS_ROUTE, noWorkflow)).isNotEmpty();
    }

    @Test
    void sourceNamesAreLowerCasedAndMustBeOneSegment() {
        assertThat(StimulusRoute.normaliseSource("GitHub")).isEqualTo("github");
        assertThat(StimulusRoute.normaliseSource("http_api")).isEqualTo("http_api");
        for (String bad : new String[] {"", "a/b", "a b", "tab\there", "x".repeat(129)}) {
            assertThatThrownBy(() -> StimulusRoute.normaliseSource(bad)).as(bad)
                    .isInstanceOf(IllegalArgumentException.class);
        }
        assertThatThrownBy(() -> StimulusRoute.normaliseSource(null)).isInstanceOf(IllegalArgumentException.class);
    }
}
