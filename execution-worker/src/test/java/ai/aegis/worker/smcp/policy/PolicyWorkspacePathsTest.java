package ai.aegis.worker.smcp.policy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PolicyWorkspacePathsTest {

    @ParameterizedTest
    @CsvSource({
            "/workspace, /workspace",
            "/workspace/, /workspace",
            "/workspace/a.txt, /workspace/a.txt",
            "//workspace//a/./b, /workspace/a/b",
            "/workspace/./src/, /workspace/src",
            "a.txt, /workspace/a.txt",
            "src/./main//x, /workspace/src/main/x",
            "., /workspace",
            "'', /workspace",
            "./a, /workspace/a",
            "/workspace/...hidden, /workspace/...hidden",
            "/workspace/a..b, /workspace/a..b"
    })
    void normalisesToAnAbsolutePathUnderTheRoot(String path, String expected) {
        assertThat(WorkspacePaths.normalise(path)).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"..", "../etc", "/workspace/../etc", "/workspace/a/../b", "a/..", "/workspace/a/..",
            "src/../../etc/passwd", "/workspace/a/../../workspace"})
    void refusesEveryParentReferenceEvenOneThatStaysInside(String path) {
        assertThatThrownBy(() -> WorkspacePaths.normalise(path))
                .isInstanceOfSatisfying(PathTraversal.class, e -> {
                    assertThat(e.reason()).isEqualTo(PathTraversal.Reason.PARENT_REFERENCE);
                    assertThat(e.path()).isEqualTo(path);
                })
                .hasMessageContaining("'..'");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/etc/passwd", "/", "/workspacex", "/workspacex/a", "/tmp/workspace", "//etc"})
    void refusesAbsolutePathsOutsideTheRoot(String path) {
        assertThatThrownBy(() -> WorkspacePaths.normalise(path))
                .isInstanceOfSatisfying(PathTraversal.class,
                        e -> assertThat(e.reason()).isEqualTo(PathTraversal.Reason.OUTSIDE_ROOT))
                .hasMessageContaining("outside the workspace /workspace");
    }

    @Test
    void refusesNulAndShowsItPrintably() {
        assertThatThrownBy(() -> WorkspacePaths.normalise("/workspace/a\0.txt"))
                .isInstanceOfSatisfying(PathTraversal.class,
                        e -> assertThat(e.reason()).isEqualTo(PathTraversal.Reason.NUL_CHARACTER))
                .hasMessageContaining("a\\0.txt")
                .hasMessageNotContaining("\0");
    }

    @Test
    void aPathTraversalIsAnIllegalArgument() {
        assertThatThrownBy(() -> WorkspacePaths.normalise("/etc")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void belowIsComponentWise() {
        assertThat(WorkspacePaths.isAtOrBelow("/workspace/src/a", "/workspace/src")).isTrue();
        assertThat(WorkspacePaths.isAtOrBelow("/workspace/src", "/workspace/src")).isTrue();
        assertThat(WorkspacePaths.isAtOrBelow("/workspace/srcx", "/workspace/src")).isFalse();
        assertThat(WorkspacePaths.isAtOrBelow("/workspace", "/workspace/src")).isFalse();
        assertThat(WorkspacePaths.isAtOrBelow("/workspace/a", "/")).isTrue();
    }
}
