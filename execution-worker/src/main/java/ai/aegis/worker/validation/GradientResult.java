package ai.aegis.worker.validation;

import ai.aegis.schemas.json.Json;
import com.fasterxml.jackson.databind.JsonNode;

import java.util.Optional;

/**
 * A judge's verdict: {@code {score, confidence, reasoning}}, scores clamped to 0..1.
 *
 * @param score      0..1
 * @param confidence 0..1; a judge that leaves it out gets 0, so it only passes when min_confidence is 0
 * @param reasoning  the judge's explanation ("" when absent)
 */
public record GradientResult(double score, double confidence, String reasoning) {

    /**
     * Reads a judge's output: the first ```json fenced block if there is one, else the whole text, else (for a judge
     * that wrapped its JSON in prose without a fence) the span from the first '{' to the last '}'.
     *
     * @return empty when no JSON object with a numeric {@code score} is found
     */
    public static Optional<GradientResult> parse(String judgeOutput) {
        if (judgeOutput == null) {
            return Optional.empty();
        }
        String extracted = FencedJson.extract(judgeOutput);
        Optional<GradientResult> direct = fromJson(extracted);
        if (direct.isPresent()) {
            return direct;
        }
        int open = extracted.indexOf('{');
        int close = extracted.lastIndexOf('}');
        return open >= 0 && close > open ? fromJson(extracted.substring(open, close + 1)) : Optional.empty();
    }

    private static Optional<GradientResult> fromJson(String text) {
        JsonNode node;
        try {
            node = Json.MAPPER.readTree(text);
        } catch (Exception e) {
            return Optional.empty();
        }
        if (node == null || !node.isObject()) {
            return Optional.empty();
        }
        Double score = number(node.get("score"));
        if (score == null) {
            return Optional.empty();
        }
        Double confidence = number(node.get("confidence"));
        JsonNode reasoning = node.get("reasoning");
        String why = reasoning == null || reasoning.isNull() ? ""
                : reasoning.isTextual() ? reasoning.asText() : reasoning.toString();
        return Optional.of(new GradientResult(clamp(score), confidence == null ? 0.0 : clamp(confidence), why));
    }

    /** A JSON number, or a string holding one (models sometimes quote numbers); anything else is no number. */
    private static Double number(JsonNode v) {
        if (v == null) {
            return null;
        }
        double d;
        if (v.isNumber()) {
            d = v.asDouble();
        } else if (v.isTextual()) {
            try {
                d = Double.parseDouble(v.asText().strip());
            } catch (NumberFormatException e) {
                return null;
            }
        } else {
            return null;
        }
        return Double.isNaN(d) ? null : d;
    }

    private static double clamp(double d) {
        return Math.max(0.0, Math.min(1.0, d));
    }
}
