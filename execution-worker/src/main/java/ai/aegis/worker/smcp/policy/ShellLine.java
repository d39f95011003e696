package ai.aegis.worker.smcp.policy;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Splits a POSIX shell line into its simple commands, so that the policy can check every program the line would run.
 * A policy gate, not a shell: it keeps what it understands (quotes, escapes, {@code ;} {@code &&} {@code ||}
 * {@code |} {@code &} and newlines, {@code NAME=value} prefixes, redirections, arithmetic {@code $((...))}) and
 * refuses, with {@link IllegalArgumentException}, what could run a program it cannot see: command and process
 * substitution, subshells and brace groups, here-documents, and prefix assignments that change which program runs
 * ({@code PATH=...}, {@code LD_PRELOAD=...}). Words are returned after quote removal, without expansion
 * ({@code $HOME} stays {@code $HOME}), so a program named through a variable never matches an allowlist.
 */
public final class ShellLine {

    private static final Pattern ASSIGNMENT = Pattern.compile("([A-Za-z_][A-Za-z0-9_]*)\\+?=.*", Pattern.DOTALL);
    /** Variables whose value decides which program, library or startup file the shell uses. */
    private static final Set<String> PROTECTED = Set.of("PATH", "IFS", "ENV", "BASH_ENV", "CDPATH", "PS4",
            "PROMPT_COMMAND", "SHELLOPTS", "BASHOPTS", "GLOBIGNORE");
    /** What an arithmetic expansion may contain besides ASCII letters and digits: no quotes, separators or braces. */
    private static final String ARITHMETIC = " \t+-*/%<>=!~^&|?:,_$#[]";

    private ShellLine() {
    }

    /**
     * The words of every simple command of {@code line}, in order, without assignments and redirections; commands
     * without words (an assignment alone, an empty line) are left out.
     *
     * @throws IllegalArgumentException with the reason, for what the class refuses (see above) or cannot parse
     *                                  (unterminated quotes, a redirection without a target)
     */
    public static List<List<String>> commands(String line) {
        return new Parser(line).parse();
    }

    private static final class Parser {
        private final String s;
        private int i;
        private final List<List<String>> commands = new ArrayList<>();
        private List<String> words = new ArrayList<>();
        private final StringBuilder word = new StringBuilder();
        /** Something was read for the current word, maybe only an empty quoted string. */
        private boolean inWord;
        /** Where in {@link #word} the first quoted or escaped character is, -1 when none. */
        private int firstQuoted = -1;
        /** The next word is the target of a redirection. */
        private boolean redirectTarget;

        Parser(String line) {
            this.s = line;
        }

        List<List<String>> parse() {
            while (i < s.length()) {
                char c = s.charAt(i);
                switch (c) {
                    case ' ', '\t' -> {
                        endWord();
                        i++;
                    }
                    case '\n' -> {
                        endWord();
                        endCommand();
                        i++;
                    }
                    case '\\' -> escape();
                    case '\'' -> singleQuoted();
                    case '"' -> doubleQuoted();
                    case '`' -> throw substitution();
                    case '$' -> dollar();
                    case ';', '|' -> {
                        endWord();
                        endCommand();
                        char next = peek(1);
                        i += next == c || (c == '|' && next == '&') ? 2 : 1;
                    }
                    case '&' -> {
                        if (peek(1) == '>') {
                            redirection();
                        } else {
                            endWord();
                            endCommand();
                            i += peek(1) == '&' ? 2 : 1;
                        }
                    }
                    case '<', '>' -> redirection();
                    case '(', ')' -> throw new IllegalArgumentException(
                            "subshells and grouping with '(' ')' are not supported; write the commands one after another");
                    case '#' -> {
                        if (inWord) {
                            append(c);
                        } else {
                            int newline = s.indexOf('\n', i);
                            i = newline < 0 ? s.length() : newline;
                        }
                    }
                    default -> append(c);
                }
            }
            endWord();
            endCommand();
            return List.copyOf(commands);
        }

        private char peek(int ahead) {
            return i + ahead < s.length() ? s.charAt(i + ahead) : '\0';
        }

        private void append(char c) {
            word.append(c);
            inWord = true;
            i++;
        }

        private void markQuoted() {
            if (firstQuoted < 0) {
                firstQuoted = word.length();
            }
            inWord = true;
        }

        private void escape() {
            if (i + 1 >= s.length()) {
                throw new IllegalArgumentException("the line ends with a backslash");
            }
            char next = s.charAt(i + 1);
            if (next != '\n') { // backslash-newline continues the line
                markQuoted();
                word.append(next);
            }
            i += 2;
        }

        private void singleQuoted() {
            int end = s.indexOf('\'', i + 1);
            if (end < 0) {
                throw new IllegalArgumentException("unterminated single quote");
            }
            markQuoted();
            word.append(s, i + 1, end);
            i = end + 1;
        }

        private void doubleQuoted() {
            markQuoted();
            i++;
            while (true) {
                if (i >= s.length()) {
                    throw new IllegalArgumentException("unterminated double quote");
                }
                char c = s.charAt(i);
                if (c == '"') {
                    i++;
                    return;
                }
                if (c == '\\' && i + 1 < s.length() && "$`\"\\\n".indexOf(s.charAt(i + 1)) >= 0) {
                    if (s.charAt(i + 1) != '\n') {
                        word.append(s.charAt(i + 1));
                    }
                    i += 2;
                } else if (c == '`') {
                    throw substitution(); // active inside double quotes too
                } else if (c == '$') {
                    dollar();
                } else {
                    word.append(c);
                    i++;
                }
            }
        }

        private void dollar() {
            if (s.startsWith("$((", i)) {
                arithmetic();
            } else if (s.startsWith("$(", i)) {
                throw substitution();
            } else {
                append('$');
            }
        }

        /**
         * {@code $((...))}, kept in the word as written. Only arithmetic characters are accepted, and the expansion
         * must close with {@code ))}: bash reads {@code $((cmd) ...)} that is no arithmetic as a command
         * substitution.
         */
        private void arithmetic() {
            int start = i;
            i += 3;
            int depth = 2;
            while (true) {
                if (i >= s.length()) {
                    throw new IllegalArgumentException("unterminated arithmetic expansion '$(('");
                }
                char c = s.charAt(i);
                if (c == '(') {
                    depth++;
                } else if (c == ')') {
                    depth--;
                    if (depth == 1) {
                        if (peek(1) != ')') {
                            throw new IllegalArgumentException(
                                    "'$((' that does not close with '))' is a command substitution, which is not allowed");
                        }
                        i += 2;
                        break;
                    }
                } else if (c == '$' && peek(1) == '(') {
                    throw substitution();
                } else if (!isAsciiLetterOrDigit(c) && ARITHMETIC.indexOf(c) < 0) {
                    throw new IllegalArgumentException("character '" + c + "' is not allowed in an arithmetic expansion");
                }
                i++;
            }
            word.append(s, start, i);
            inWord = true;
        }

        /** At {@code <}, {@code >} or {@code &>}: reads the operator; the next word is its target and is dropped. */
        private void redirection() {
            if (inWord && firstQuoted < 0 && !word.isEmpty() && word.chars().allMatch(Character::isDigit)) {
                word.setLength(0); // the file descriptor of "2>&1"
                inWord = false;
            } else {
                endWord();
            }
            if (redirectTarget) {
                throw new IllegalArgumentException("a redirection without a target");
            }
            char c = s.charAt(i);
            if ((c == '<' || c == '>') && peek(1) == '(') {
                throw new IllegalArgumentException("process substitution ('" + c + "(') is not allowed");
            }
            if (c == '&') {
                i += peek(2) == '>' ? 3 : 2; // &> and &>>
            } else if (s.startsWith("<<<", i)) {
                i += 3; // here-string: its word is the target
            } else if (s.startsWith("<<", i)) {
                throw new IllegalArgumentException("here-documents ('<<') are not supported");
            } else if (c == '<') {
                i += peek(1) == '&' || peek(1) == '>' ? 2 : 1;
            } else {
                i += peek(1) == '>' || peek(1) == '|' || peek(1) == '&' ? 2 : 1;
            }
            redirectTarget = true;
        }

        private void endWord() {
            if (!inWord) {
                return;
            }
            String w = word.toString();
            if (redirectTarget) {
                redirectTarget = false;
            } else if (!(words.isEmpty() && isAssignment(w))) {
                if (words.isEmpty() && firstQuoted < 0 && (w.equals("{") || w.equals("}"))) {
                    throw new IllegalArgumentException("brace groups '{ ... }' are not supported");
                }
                words.add(w);
            }
            word.setLength(0);
            inWord = false;
            firstQuoted = -1;
        }

        /** A {@code NAME=value} prefix (name and {@code =} unquoted); refuses one that changes which program runs. */
        private boolean isAssignment(String w) {
            var assignment = ASSIGNMENT.matcher(w);
            if (!assignment.matches() || (firstQuoted >= 0 && firstQuoted <= assignment.end(1))) {
                return false;
            }
            String name = assignment.group(1);
            if (PROTECTED.contains(name) || name.startsWith("LD_")) {
                throw new IllegalArgumentException("setting " + name + " is not allowed: it changes which program runs");
            }
            return true;
        }

        private void endCommand() {
            if (redirectTarget) {
                throw new IllegalArgumentException("a redirection without a target");
            }
            if (!words.isEmpty()) {
                commands.add(List.copyOf(words));
                words = new ArrayList<>();
            }
        }

        private static boolean isAsciiLetterOrDigit(char c) {
            return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        }

        private static IllegalArgumentException substitution() {
            return new IllegalArgumentException(
                    "command substitution ('$(...)' or backticks) is not allowed; run the inner command on its own");
        }
    }
}
