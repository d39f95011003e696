package ai.aegis.cli.client;

import ai.aegis.schemas.json.Json;
import com.fasterxml.jackson.databind.JsonNode;

import java.io.PrintStream;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * {@code --follow} and {@code task logs}: an execution's (or workflow run's) events from its SSE stream as they
 * arrive. On a terminal: one progress line rewritten in place with a spinner, plus a line per finished iteration;
 * otherwise plain lines, one per event, never an escape code. The exit code is the terminal event's:
 * {@link #EXIT_CODES}.
 */
public final class Follow {

    /** completed 0, failed 1, cancelled 3, timed out 4. */
    public static final Map<String, Integer> EXIT_CODES = Map.of(
            "execution_completed", 0, "execution_failed", 1, "execution_cancelled", 3, "execution_timed_out", 4,
            "workflow_completed", 0, "workflow_failed", 1, "workflow_cancelled", 3);
    static final Map<String, Integer> STATUS_CODES = Map.of(
            "completed", 0, "failed", 1, "cancelled", 3, "timed_out", 4);
    private static final String[] SPINNER = {"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"};
    private static final String CLEAR = "\r\033[2K";

    private final PrintStream out;
    private final boolean live;
    private final boolean jsonLines;
    private int iteration;
    private int toolCalls;
    private String lastTool;
    private int spinnerFrame;
    private String terminal;
    private JsonNode terminalBody;

    private Follow(PrintStream out, boolean live, boolean jsonLines) {
        this.out = out;
        this.live = live && !jsonLines;
        this.jsonLines = jsonLines;
    }

    /**
     * Follows an execution to its end; the exit code of how it ended.
     *
     * @param live      a progress line rewritten in place (a terminal)
     * @param jsonLines each event's JSON on a line of its own ({@code --output json|yaml}) instead of text
     */
    public static int execution(ApiClient api, String id, PrintStream out, boolean live, boolean jsonLines) {
        return new Follow(out, live, jsonLines).run(api, "execution", "/v1/executions/" + ApiClient.encode(id));
    }

    /** Follows a workflow run to its end, in plain lines (its progress is not an execution's: no progress line). */
    public static int workflow(ApiClient api, String id, PrintStream out, boolean jsonLines) {
        return new Follow(out, false, jsonLines).run(api, "workflow",
                "/v1/workflows/executions/" + ApiClient.encode(id));
    }

    /**
     * @param kind     {@code execution} or {@code workflow}: how the ending is told when the stream did not
     * @param viewPath the view; its stream is {@code viewPath/stream}
     */
    private int run(ApiClient api, String kind, String viewPath) {
        ScheduledExecutorService spinner = null;
        if (live) {
            spinner = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "aegis-spinner");
                t.setDaemon(true);
                return t;
            });
            spinner.scheduleAtFixedRate(this::redraw, 0, 120, TimeUnit.MILLISECONDS);
        }
        try {
            api.stream(viewPath + "/stream", this::event);
        } finally {
            if (spinner != null) {
                spinner.shutdownNow();
            }
        }
        synchronized (this) {
            if (live) {
                out.print(CLEAR);
            }
            if (terminal == null) {
                // the stream had already ended (204) or closed early: the view says how it ended
                JsonNode view = api.get(viewPath);
                String status = view.path("status").asText();
                Integer code = STATUS_CODES.get(status);
                if (code == null) {
                    throw new CliException("the stream closed while it was still " + status);
                }
                if (!jsonLines) {
                    out.println(kind + " " + status.replace('_', ' '));
                    String output = view.path("final_output").asText("");
                    if (!output.isEmpty()) {
                        out.println(output);
                    }
                }
                out.flush();
                return code;
            }
            if (!jsonLines) {
                String summary = line(terminal, terminalBody);
                out.println(live ? mark(terminal) + " " + summary : summary);
                String output = terminalBody.path("final_output").asText("");
                if (!output.isEmpty()) {
                    out.println(output);
                }
            }
            out.flush();
            return EXIT_CODES.get(terminal);
        }
    }

    private synchronized boolean event(JsonNode frame) {
        if (!frame.isObject() || frame.size() != 1) {
            return true;
        }
        String type = frame.fieldNames().next();
        JsonNode body = frame.get(type);
        switch (type) {
            case "iteration_started" -> {
                iteration = body.path("iteration_number").asInt(iteration + 1);
                toolCalls = 0;
                lastTool = null;
            }
            case "tool_call" -> {
                toolCalls++;
                lastTool = body.path("name").asText("?");
            }
            default -> {
            }
        }
        if (EXIT_CODES.containsKey(type)) {
            terminal = type;
            terminalBody = body;
            if (jsonLines) {
                out.println(Json.write(frame));
            }
            return false;
        }
        if (jsonLines) {
            out.println(Json.write(frame));
        } else if (live) {
            if (type.equals("iteration_completed") || type.equals("iteration_failed")) {
                out.print(CLEAR + mark(type) + " " + line(type, body) + " · " + toolCalls
                        + (toolCalls == 1 ? " tool call" : " tool calls") + "\n");
            }
            redraw();
        } else {
            out.println(line(type, body));
        }
        out.flush();
        return true;
    }

    /** The progress line, again: from the spinner's thread, and from {@link #event} (the lock is held already). */
    private synchronized void redraw() {
        if (terminal != null) {
            return;
        }
        String spin = SPINNER[spinnerFrame++ % SPINNER.length];
        String status = iteration == 0 ? "waiting for the execution to start"
                : "iteration " + iteration + " · " + toolCalls + (toolCalls == 1 ? " tool call" : " tool calls")
                + (lastTool != null ? " · last " + lastTool : "");
        out.print(CLEAR + spin + " " + status);
        out.flush();
    }

    private static String mark(String type) {
        return type.endsWith("completed") ? "✓" : type.endsWith("failed") ? "✗" : "•";
    }

    /** The plain line of one event. */
    static String line(String type, JsonNode b) {
        return switch (type) {
            case "execution_started" -> "execution " + b.path("execution_id").asText() + " started";
            case "iteration_started" -> "iteration " + b.path("iteration_number").asInt() + " started";
            case "llm_interaction" -> "model " + b.path("model").asText("?") + ": " + b.path("finish_reason").asText("?")
                    + (b.has("duration_ms") ? " (" + b.get("duration_ms").asLong() + " ms)" : "");
            case "tool_call" -> {
                String summary = b.path("result_summary").asText("");
                String exit = "exit " + b.path("exit_code").asText("?");
                if (summary.startsWith(exit + ":")) {
                    summary = summary.substring(exit.length() + 1).strip();
                }
                yield "tool " + b.path("name").asText("?") + " " + exit + ": " + Output.oneLine(summary, 120);
            }
            case "iteration_output" -> "output (" + b.path("stream").asText("stdout") + "): "
                    + Output.oneLine(b.path("output").asText(""), 120);
            case "iteration_completed" -> "iteration " + b.path("iteration_number").asInt() + " completed";
            case "iteration_failed" -> "iteration " + b.path("iteration_number").asInt() + " failed: "
                    + b.path("error").path("error_type").asText("error") + ": "
                    + Output.oneLine(b.path("error").path("message").asText(""), 120);
            case "execution_completed" -> "execution completed (" + b.path("total_iterations").asInt()
                    + (b.path("total_iterations").asInt() == 1 ? " iteration)" : " iterations)");
            case "execution_failed" -> "execution failed: " + Output.oneLine(b.path("reason").asText(""), 200);
            case "execution_cancelled" -> "execution cancelled";
            case "execution_timed_out" -> "execution timed out";
            case "workflow_started" -> "workflow " + b.path("workflow_name").asText(b.path("workflow_execution_id")
                    .asText()) + " started";
            case "state_entered" -> "state " + b.path("state_name").asText() + " entered ("
                    + b.path("kind").asText() + ")";
            case "state_exited" -> "state " + b.path("state_name").asText() + " exited: " + b.path("status").asText();
            case "approval_requested" -> "approval " + b.path("approval_id").asText() + " requested in "
                    + b.path("state_name").asText() + ": " + Output.oneLine(b.path("prompt").asText(), 100);
            case "workflow_completed" -> "workflow completed in state " + b.path("final_state").asText();
            case "workflow_failed" -> "workflow failed in state " + b.path("state_name").asText() + ": "
                    + Output.oneLine(b.path("reason").asText(""), 200);
            case "workflow_cancelled" -> "workflow cancelled";
            default -> type.replace('_', ' ');
        };
    }
}
