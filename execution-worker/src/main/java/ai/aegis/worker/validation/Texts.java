package ai.aegis.worker.validation;

/** Length caps that never split a surrogate pair and say how much was cut. */
final class Texts {

    private Texts() {
    }

    /** The last {@code max} characters, prefixed by a marker when something was cut (the end of an output matters most). */
    static String tail(String s, int max) {
        if (s == null || s.length() <= max) {
            return s;
        }
        int start = s.length() - max;
        if (Character.isLowSurrogate(s.charAt(start))) {
            start++;
        }
        return "[... " + start + " earlier characters omitted ...]\n" + s.substring(start);
    }

    /** The first {@code max} characters, followed by a marker when something was cut. */
    static String head(String s, int max) {
        if (s == null || s.length() <= max) {
            return s;
        }
        int end = max;
        if (Character.isHighSurrogate(s.charAt(end - 1))) {
            end--;
        }
        return s.substring(0, end) + "\n[... " + (s.length() - end) + " more characters omitted ...]";
    }

    /** A score for messages: two decimals are what a reader needs. */
    static String num(double d) {
        return String.format(java.util.Locale.ROOT, "%.2f", d);
    }
}
