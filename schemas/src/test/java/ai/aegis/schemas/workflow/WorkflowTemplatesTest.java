package ai.aegis.schemas.workflow;

import ai.aegis.schemas.json.Json;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Templates render from the blackboard: dotted paths, missing paths empty, non-strings as compact JSON. */
class WorkflowTemplatesTest {

    private static ObjectNode board() {
        ObjectNode board = WorkflowTemplates.initialBlackboard("review-workflow", "1.0.0", "our new release",
                Json.tree("{\"audience\":\"developers\",\"limits\":{\"words\":120}}"),
                Json.tree("{\"audience\":\"operators\",\"channel\":\"#news\"}"));
        board.set("drafter", WorkflowTemplates.stateEntry(WorkflowTemplates.STATUS_SUCCESS,
                TextNode.valueOf("Release 2.0 is out"), null, null, 0.93));
        board.set("review", WorkflowTemplates.stateEntry(WorkflowTemplates.STATUS_FAILURE,
                TextNode.valueOf("rejected"), "Needs more citations.", null, null));
        board.set("check", WorkflowTemplates.stateEntry(WorkflowTemplates.STATUS_SUCCESS,
                Json.tree("{\"title\":\"Hi\",\"tags\":[\"a\",\"b\"],\"n\":3,\"ok\":true,\"none\":null}"), null, 0,
                null));
        return board;
    }

    @Test
    void theInitialBlackboardHoldsTheWorkflowAndTheContextWithOverrides() {
        assertThat(board().get("workflow")).isEqualTo(Json.tree(
                "{\"name\":\"review-workflow\",\"version\":\"1.0.0\",\"input\":\"our new release\"}"));
        // The run's blackboard extends and overrides spec.context.
        assertThat(board().get("context")).isEqualTo(Json.tree(
                "{\"audience\":\"operators\",\"limits\":{\"words\":120},\"channel\":\"#news\"}"));
        assertThat(WorkflowTemplates.initialBlackboard("w", "1", null, null, null)).isEqualTo(Json.tree(
                "{\"workflow\":{\"name\":\"w\",\"version\":\"1\",\"input\":\"\"},\"context\":{}}"));
    }

    @Test
    void theContextSeedIsCopiedNotShared() {
        JsonNode context = Json.tree("{\"a\":{\"b\":1}}");
        ObjectNode board = WorkflowTemplates.initialBlackboard("w", "1", "x", context, null);
        ((ObjectNode) board.get("context").get("a")).put("b", 2);
        assertThat(context.get("a").get("b").asInt()).isEqualTo(1);
    }

    @Test
    void stateEntriesLeaveOutWhatIsUnknown() {
        assertThat(board().get("review")).isEqualTo(Json.tree(
                "{\"status\":\"failure\",\"output\":\"rejected\",\"feedback\":\"Needs more citations.\"}"));
        assertThat(board().get("check").get("exit_code").asInt()).isZero();
        assertThat(board().get("drafter").get("score").asDouble()).isEqualTo(0.93);
    }

    @Test
    void workflowContextAndStatePlaceholdersRender() {
        String out = WorkflowTemplates.render("{{workflow.name}} for {{ context.audience }} on {{workflow.input}}: "
                + "{{drafter.output}} ({{review.output}}: {{review.feedback}})", board());

        assertThat(out).isEqualTo("review-workflow for operators on our new release: Release 2.0 is out "
                + "(rejected: Needs more citations.)");
    }

    @Test
    void dottedPathsReachIntoObjectsAndLists() {
        assertThat(WorkflowTemplates.render("{{check.output.title}}/{{check.output.tags.1}}/{{context.limits.words}}",
                board())).isEqualTo("Hi/b/120");
    }

    @Test
    void missingPathsRenderEmpty() {
        assertThat(WorkflowTemplates.render("[{{reviser.output}}][{{drafter.output.title}}][{{check.output.tags.7}}]"
                + "[{{check.output.none}}][{{drafter.feedback}}]", board())).isEqualTo("[][][][][]");
        assertThat(WorkflowTemplates.render("{{workflow.input}}", Json.object())).isEmpty();
        assertThat(WorkflowTemplates.render("{{workflow.input}}", null)).isEmpty();
        assertThat(WorkflowTemplates.render(null, board())).isEmpty();
    }

    @Test
    void nonStringValuesRenderAsCompactJson() {
        assertThat(WorkflowTemplates.render("{{check.output.tags}} {{check.output.n}} {{check.output.ok}} "
                + "{{context.limits}} {{drafter.score}}", board()))
                .isEqualTo("[\"a\",\"b\"] 3 true {\"words\":120} 0.93");
        assertThat(WorkflowTemplates.render("{{check.output}}", board()))
                .isEqualTo("{\"title\":\"Hi\",\"tags\":[\"a\",\"b\"],\"n\":3,\"ok\":true,\"none\":null}");
    }

    @Test
    void stateNamesWithDashesAndUnderscoresRender() {
        ObjectNode board = Json.object();
        board.putObject("fix-tests_2").put("output", "done");
        assertThat(WorkflowTemplates.render("{{fix-tests_2.output}}", board)).isEqualTo("done");
    }

    @Test
    void otherBracesAndReplacementCharactersAreLeftAlone() {
        ObjectNode board = Json.object();
        board.putObject("s").put("output", "cost: $5 \\o/");
        assertThat(WorkflowTemplates.render("{{#if x}} {{ }} {x} {{s.output}} {{a..b}}", board))
                .isEqualTo("{{#if x}} {{ }} {x} cost: $5 \\o/ {{a..b}}");
    }
}
