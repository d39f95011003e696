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
        assertThat(StimulusSources.normalise("GitHub")).isEqualTo("github");
        assertThat(StimulusSources.normalise("http_api")).isEqualTo("http_api");
        for (String bad : new String[] {"", "a/b", "a b", "tab\there", "nul\u0000", "x".repeat(129)}) {
            assertThatThrownBy(() -> StimulusSources.normalise(bad)).as(bad)
                    .isInstanceOf(IllegalArgumentException.class);
        }
        assertThatThrownBy(() -> StimulusSources.normalise(null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theRouterRoundTripsValidatesAndRefusesWhatCannotBe() {
        StimulusRouter router = new StimulusRouter("3f1c1a8e-6a57-4d8e-9b7a-0c1d2e3f4a5b", 0.7, 30,
                Instant.parse("2026-12-01T10:00:00Z"));
        String json = Json.write(router);
        assertThat(Json.tree(json)).isEqualTo(Json.tree("""
                {"agent_id":"3f1c1a8e-6a57-4d8e-9b7a-0c1d2e3f4a5b","confidence_threshold":0.7,"timeout_seconds":30,
                 "updated_at":"2026-12-01T10:00:00Z"}"""));
        assertThat(Json.read(json, StimulusRouter.class)).isEqualTo(router);
        assertThat(SchemaValidation.validate(SchemaResources.STIMULUS_ROUTER, Json.tree(json))).isEmpty();
        RecordSchemas.assertDescribes(Json.tree(SchemaResources.load(SchemaResources.STIMULUS_ROUTER)),
                StimulusRouter.class);
        ObjectNode high = (ObjectNode) Json.toTree(router);
        high.put("confidence_threshold", 1.5);
        assertThat(SchemaValidation.validate(SchemaResources.STIMULUS_ROUTER, high)).isNotEmpty();
        Instant t = router.updatedAt();
        assertThatThrownBy(() -> new StimulusRouter(router.agentId(), -0.1, 30, t))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("confidence_threshold");
        assertThatThrownBy(() -> new StimulusRouter(router.agentId(), Double.NaN, 30, t))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new StimulusRouter(router.agentId(), 0.5, 0, t))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("timeout_seconds");
    }
}
