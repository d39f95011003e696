package ai.aegis.cli.client;

import ai.aegis.schemas.json.Json;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/** Prints what the API answered in the format asked for: text, table, json (as is, pretty) or yaml. */
public final class Output {

    /** A column of a table: its header and the field of a row it shows. */
    public record Column(String header, String field) {
    }

    /** Columns from header, field pairs: {@code columns("ID", "id", "NAME", "name")}. */
    public static List<Column> columns(String... headersAndFields) {
        if (headersAndFields.length % 2 != 0) {
            throw new IllegalArgumentException("a header without its field");
        }
        List<Column> columns = new ArrayList<>();
        for (int i = 0; i < headersAndFields.length; i += 2) {
            columns.add(new Column(headersAndFields[i], headersAndFields[i + 1]));
        }
        return List.copyOf(columns);
    }

    private Output() {
    }

    /** A single object: json/yaml as is; text and table as {@code key: value} lines of its top-level fields. */
    public static void object(PrintStream out, ClientOptions.Format format, JsonNode node) {
        switch (format) {
            case json, yaml -> raw(out, format, node);
            default -> {
                if (!node.isObject()) {
                    out.println(scalar(node));
                    return;
                }
                int width = 0;
                for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
                    width = Math.max(width, it.next().length());
                }
                for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> f = it.next();
                    if (f.getValue().isNull()) {
                        continue;
                    }
                    out.println(pad(f.getKey() + ":", width + 1) + " " + summary(f.getValue()));
                }
            }
        }
    }

    /** A list: json/yaml as is; table and text as aligned columns. */
    public static void list(PrintStream out, ClientOptions.Format format, JsonNode whole, JsonNode rows,
                            List<Column> columns) {
        switch (format) {
            case json, yaml -> raw(out, format, whole);
            default -> table(out, rows, columns);
        }
    }

    private static void raw(PrintStream out, ClientOptions.Format format, JsonNode node) {
        try {
            if (format == ClientOptions.Format.yaml) {
                out.print(Json.YAML.writeValueAsString(node));
            } else {
                out.println(Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(node));
            }
        } catch (JsonProcessingException e) {
            throw new CliException("cannot print the answer: " + e.getOriginalMessage());
        }
    }

    public static void table(PrintStream out, JsonNode rows, List<Column> columns) {
        List<String[]> cells = new ArrayList<>();
        cells.add(columns.stream().map(Column::header).toArray(String[]::new));
        for (JsonNode row : rows) {
            cells.add(columns.stream().map(c -> oneLine(scalar(row.path(c.field())), 60)).toArray(String[]::new));
        }
        int[] widths = new int[columns.size()];
        for (String[] r : cells) {
            for (int i = 0; i < r.length; i++) {
                widths[i] = Math.max(widths[i], r[i].length());
            }
        }
        for (String[] r : cells) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < r.length; i++) {
                line.append(i == r.length - 1 ? r[i] : pad(r[i], widths[i]) + "  ");
            }
            out.println(line.toString().stripTrailing());
        }
    }

    static String scalar(JsonNode n) {
        if (n == null || n.isMissingNode() || n.isNull()) {
            return "";
        }
        return n.isValueNode() ? n.asText() : n.toString();
    }

    private static String summary(JsonNode n) {
        if (n.isArray()) {
            return n.size() + (n.size() == 1 ? " item" : " items");
        }
        if (n.isObject()) {
            return oneLine(n.toString(), 100);
        }
        return n.asText();
    }

    public static String oneLine(String s, int max) {
        String one = s == null ? "" : s.replaceAll("\\s+", " ").strip();
        return one.length() <= max ? one : one.substring(0, max - 1) + "…";
    }

    private static String pad(String s, int width) {
        return s.length() >= width ? s : s + " ".repeat(width - s.length());
    }
}
