package ai.aegis.worker.validation;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the JSON document in an LLM's answer. Models often wrap JSON in a Markdown fence (```json ... ```) and add
 * prose around it; the reference extracts the fenced block when there is one, and so do we.
 */
public final class FencedJson {

    // A ```json fence (any case), optional spaces, then the body up to the next closing fence.
    private static final Pattern JSON_FENCE =
            Pattern.compile("```[ \\t]*json[ \\t]*\\R?(.*?)```", Pattern.DOTALL | Pattern.CASE_INSENSITIVE);
    // An untagged fence is only taken when it is the whole answer: elsewhere it is probably code, not the result.
    private static final Pattern WHOLE_PLAIN_FENCE = Pattern.compile("\\A```[ \\t]*\\R(.*?)```\\z", Pattern.DOTALL);

    private FencedJson() {
    }

    /**
     * The body of the first {@code ```json} fenced block; else the body of a plain fence that is the whole text;
     * else the trimmed text itself.
     */
    public static String extract(String text) {
        if (text == null) {
            return "";
        }
        Matcher tagged = JSON_FENCE.matcher(text);
        if (tagged.find()) {
            return tagged.group(1).strip();
        }
        String trimmed = text.strip();
        Matcher plain = WHOLE_PLAIN_FENCE.matcher(trimmed);
        if (plain.matches()) {
            return plain.group(1).strip();
        }
        return trimmed;
    }
}
