package ai.aegis.worker.smcp.policy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CommandShellLineTest {

    private static List<List<String>> commands(String line) {
        return ShellLine.commands(line);
    }

    @Test
    void splitsWordsOnBlanks() {
        assertThat(commands("ls -la")).containsExactly(List.of("ls", "-la"));
        assertThat(commands("  uname\t-a  ")).containsExactly(List.of("uname", "-a"));
        assertThat(commands("")).isEmpty();
        assertThat(commands("   ")).isEmpty();
    }

    @Test
    void splitsCommandsOnEveryOperator() {
        assertThat(commands("a 1; b 2 && c || d | e & f\ng |& h"))
                .containsExactly(List.of("a", "1"), List.of("b", "2"), List.of("c"), List.of("d"), List.of("e"),
                        List.of("f"), List.of("g"), List.of("h"));
        assertThat(commands("echo hi && curl x")).containsExactly(List.of("echo", "hi"), List.of("curl", "x"));
        assertThat(commands("a;b")).containsExactly(List.of("a"), List.of("b"));
        assertThat(commands("a&&b||c")).containsExactly(List.of("a"), List.of("b"), List.of("c"));
        assertThat(commands("sleep 1 &")).containsExactly(List.of("sleep", "1"));
        assertThat(commands(";; a ;")).containsExactly(List.of("a"));
    }

    @Test
    void honoursQuotes() {
        assertThat(commands("echo \"a; curl\"")).containsExactly(List.of("echo", "a; curl"));
        assertThat(commands("echo 'a && b' c")).containsExactly(List.of("echo", "a && b", "c"));
        assertThat(commands("echo 'it'\"'\"'s'")).containsExactly(List.of("echo", "it's"));
        assertThat(commands("echo '' \"\"")).containsExactly(List.of("echo", "", ""));
        assertThat(commands("echo '$(id)' '`id`'")).containsExactly(List.of("echo", "$(id)", "`id`"));
        assertThat(commands("echo \"a \\\"b\\\" \\$x \\\\ \\n\"")).containsExactly(List.of("echo", "a \"b\" $x \\ \\n"));
        assertThat(commands("echo \"$HOME\" $HOME")).containsExactly(List.of("echo", "$HOME", "$HOME"));
    }

    @Test
    void honoursBackslashEscapes() {
        assertThat(commands("echo a\\;b \\&\\& c")).containsExactly(List.of("echo", "a;b", "&&", "c"));
        assertThat(commands("echo a\\ b")).containsExactly(List.of("echo", "a b"));
        assertThat(commands("echo \\`id\\`")).containsExactly(List.of("echo", "`id`"));
        // an escaped $ is no substitution, and the '(' that follows is a subshell, a syntax error in a shell too
        assertThatThrownBy(() -> commands("echo \\$(id)x")).hasMessageContaining("subshells");
    }

    @Test
    void aBackslashNewlineContinuesTheLine() {
        assertThat(commands("echo a \\\nb")).containsExactly(List.of("echo", "a", "b"));
    }

    @Test
    void dropsLeadingAssignmentsButNotLaterOnesOrQuotedNames() {
        assertThat(commands("FOO=1 ls")).containsExactly(List.of("ls"));
        assertThat(commands("A=1 B='x y' C+=2 ls -l")).containsExactly(List.of("ls", "-l"));
        assertThat(commands("ls FOO=1")).containsExactly(List.of("ls", "FOO=1"));
        assertThat(commands("FOO=1")).isEmpty();
        assertThat(commands("FOO=1; echo $FOO")).containsExactly(List.of("echo", "$FOO"));
        assertThat(commands("\"FOO\"=1 ls")).containsExactly(List.of("FOO=1", "ls"));
        assertThat(commands("1FOO=1 ls")).containsExactly(List.of("1FOO=1", "ls"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"PATH=/workspace ls", "LD_PRELOAD=/workspace/x.so ls", "IFS=/ ls", "BASH_ENV=x ls",
            "LD_LIBRARY_PATH=. ls", "A=1 PATH=. ls"})
    void refusesAssignmentsThatChangeWhichProgramRuns(String line) {
        assertThatThrownBy(() -> commands(line)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("changes which program runs");
    }

    @Test
    void dropsRedirections() {
        assertThat(commands("ls > out.txt")).containsExactly(List.of("ls"));
        assertThat(commands("ls >out.txt -l")).containsExactly(List.of("ls", "-l"));
        assertThat(commands("ls 2>&1")).containsExactly(List.of("ls"));
        assertThat(commands("ls 2>/dev/null >>log <in")).containsExactly(List.of("ls"));
        assertThat(commands("sort < in > out")).containsExactly(List.of("sort"));
        assertThat(commands("ls &> all; ls &>> all")).containsExactly(List.of("ls"), List.of("ls"));
        assertThat(commands("ls >| f 1<&0 3<> f")).containsExactly(List.of("ls"));
        assertThat(commands("cat <<< 'text'")).containsExactly(List.of("cat"));
        assertThat(commands("> out ls")).containsExactly(List.of("ls"));
        assertThat(commands(">out FOO=1 ls")).containsExactly(List.of("ls"));
        // only a bare number before the operator is a descriptor
        assertThat(commands("echo a2>f")).containsExactly(List.of("echo", "a2"));
        assertThat(commands("echo '2'>f")).containsExactly(List.of("echo", "2"));
    }

    @Test
    void refusesARedirectionWithoutATarget() {
        assertThatThrownBy(() -> commands("ls >")).hasMessageContaining("without a target");
        assertThatThrownBy(() -> commands("ls > ; curl x")).hasMessageContaining("without a target");
        assertThatThrownBy(() -> commands("ls > > x")).hasMessageContaining("without a target");
    }

    @Test
    void keepsArithmeticExpansion() {
        assertThat(commands("echo $((40+2))")).containsExactly(List.of("echo", "$((40+2))"));
        assertThat(commands("echo hi-from-$((40+2))")).containsExactly(List.of("echo", "hi-from-$((40+2))"));
        assertThat(commands("echo \"$(( (1 + 2) * $x ))\"")).containsExactly(List.of("echo", "$(( (1 + 2) * $x ))"));
        assertThat(commands("echo $((16#ff)); ls")).containsExactly(List.of("echo", "$((16#ff))"), List.of("ls"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"echo `id`", "echo $(id)", "echo \"$(id)\"", "echo \"`id`\"", "echo a$(curl x)b",
            "echo ${x:-$(id)}", "echo $(( $(id -u) + 1 ))", "`curl x`"})
    void refusesCommandSubstitution(String line) {
        assertThatThrownBy(() -> commands(line)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("command substitution");
    }

    @ParameterizedTest
    @ValueSource(strings = {"echo $((echo hi); curl x)", "echo $((echo hi) | curl x)"})
    void refusesADollarDoubleParenthesisThatIsNoArithmetic(String line) {
        assertThatThrownBy(() -> commands(line)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void refusesProcessSubstitution() {
        assertThatThrownBy(() -> commands("diff <(ls) b")).hasMessageContaining("process substitution ('<(')");
        assertThatThrownBy(() -> commands("ls >(curl x)")).hasMessageContaining("process substitution ('>(')");
    }

    @ParameterizedTest
    @ValueSource(strings = {"(curl x)", "ls; (curl x)", "{ curl x; }", "echo a )", "ls && { curl x; }"})
    void refusesGrouping(String line) {
        assertThatThrownBy(() -> commands(line)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not supported");
    }

    @Test
    void aBraceIsOnlyAGroupAtTheStartOfACommand() {
        assertThat(commands("echo { }")).containsExactly(List.of("echo", "{", "}"));
        assertThat(commands("echo {a,b}")).containsExactly(List.of("echo", "{a,b}"));
        assertThat(commands("'{' x")).containsExactly(List.of("{", "x"));
    }

    @Test
    void refusesHereDocuments() {
        assertThatThrownBy(() -> commands("cat <<EOF\ncurl x\nEOF")).hasMessageContaining("here-documents");
    }

    @Test
    void refusesWhatItCannotParse() {
        assertThatThrownBy(() -> commands("echo 'abc")).hasMessageContaining("unterminated single quote");
        assertThatThrownBy(() -> commands("echo \"abc")).hasMessageContaining("unterminated double quote");
        assertThatThrownBy(() -> commands("echo $((1+2")).hasMessageContaining("unterminated arithmetic");
        assertThatThrownBy(() -> commands("echo $((1+2)")).hasMessageContaining("does not close with '))'");
        assertThatThrownBy(() -> commands("echo abc\\")).hasMessageContaining("ends with a backslash");
    }

    @Test
    void commentsRunToTheEndOfTheLine() {
        assertThat(commands("ls # ; curl x")).containsExactly(List.of("ls"));
        assertThat(commands("ls # curl\necho x")).containsExactly(List.of("ls"), List.of("echo", "x"));
        assertThat(commands("echo a#b")).containsExactly(List.of("echo", "a#b"));
    }

    @Test
    void theResultCannotBeChanged() {
        List<List<String>> result = commands("ls -l; pwd");
        assertThatThrownBy(() -> result.add(List.of())).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> result.getFirst().add("x")).isInstanceOf(UnsupportedOperationException.class);
    }
}
