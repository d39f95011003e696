package ai.aegis.schemas;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The JSON Schemas of the wire contract, shipped as resources beside the records they describe, so that the API
 * can serve them, tests can validate against them and analysts get the very files the build checks. File names
 * are those of {@link ai.aegis.schemas.topic.TopicSpec#valueSchema()}.
 */
public final class SchemaResources {

    public static final String EXECUTION_EVENT = "execution-event.schema.json";
    public static final String EXECUTION_REQUEST = "execution-request.schema.json";
    public static final String AGENT_RECORD = "agent-record.schema.json";
    public static final String AGENT_MANIFEST = "agent-manifest.schema.json";
    public static final String EXECUTION_COMMAND = "execution-command.schema.json";

    public static final String WORKFLOW_MANIFEST = "workflow-manifest.schema.json";
    public static final String WORKFLOW_RECORD = "workflow-record.schema.json";
    public static final String WORKFLOW_COMMAND = "workflow-command.schema.json";
    public static final String WORKFLOW_EVENT = "workflow-event.schema.json";
    public static final String WORKFLOW_STEP_RESULT = "workflow-step-result.schema.json";
    public static final String APPROVAL_REQUEST = "approval-request.schema.json";
    public static final String APPROVAL_DECISION = "approval-decision.schema.json";
    public static final String APPROVAL_COMMAND = "approval-command.schema.json";
    public static final String APPROVAL_REPLY = "approval-reply.schema.json";
    public static final String DEAD_LETTER = "dead-letter.schema.json";
    public static final String STIMULUS_ROUTE = "stimulus-route.schema.json";
    public static final String STIMULUS_ROUTER = "stimulus-router.schema.json";
    public static final String STIMULUS_REQUEST = "stimulus-request.schema.json";
    public static final String STIMULUS_REPLY = "stimulus-reply.schema.json";
    public static final String STIMULUS_OUTCOME = "stimulus-outcome.schema.json";
    public static final String STIMULUS_CLASSIFICATION = "stimulus-classification.schema.json";
    public static final String SMCP_SESSION = "smcp-session.schema.json";

    /** Every schema this module ships. */
    public static final List<String> ALL = List.of(EXECUTION_EVENT, EXECUTION_REQUEST, AGENT_RECORD, AGENT_MANIFEST,
            EXECUTION_COMMAND, WORKFLOW_MANIFEST, WORKFLOW_RECORD, WORKFLOW_COMMAND, WORKFLOW_EVENT,
            WORKFLOW_STEP_RESULT, APPROVAL_REQUEST, APPROVAL_DECISION, APPROVAL_COMMAND, APPROVAL_REPLY, DEAD_LETTER,
            STIMULUS_ROUTE, STIMULUS_ROUTER, STIMULUS_REQUEST, STIMULUS_REPLY, STIMULUS_OUTCOME,
            STIMULUS_CLASSIFICATION, SMCP_SESSION);

    private static final String DIRECTORY = "/ai/aegis/schemas/";
    // Only plain file names: a caller that serves schemas by name from a URL must not be able to read other resources.
    private static final Pattern FILE_NAME = Pattern.compile("[a-z0-9-]+\\.schema\\.json");

    private SchemaResources() {
    }

    /**
     * @param fileName e.g. {@code execution-event.schema.json}
     * @return the schema text (UTF-8 JSON)
     * @throws IllegalArgumentException when no schema has that name
     */
    public static String load(String fileName) {
        if (fileName == null || !FILE_NAME.matcher(fileName).matches()) {
            throw new IllegalArgumentException("not a schema file name: " + fileName);
        }
        try (InputStream in = SchemaResources.class.getResourceAsStream(DIRECTORY + fileName)) {
            if (in == null) {
                throw new IllegalArgumentException("no such schema: " + fileName);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read schema " + fileName, e);
        }
    }
}
