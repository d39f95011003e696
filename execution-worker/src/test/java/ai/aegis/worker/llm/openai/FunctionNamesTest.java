package ai.aegis.worker.llm.openai;

import ai.aegis.schemas.json.Json;
import ai.aegis.worker.llm.ToolSchema;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class FunctionNamesTest {

    private static ToolSchema tool(String name) {
        return new ToolSchema(name, "", Json.object());
    }

    @Test
    void dottedNamesGetWireNamesTheApiAcceptsAndComeBackUnderTheirOwn() {
        FunctionNames names = FunctionNames.of(List.of(tool("cmd.run"), tool("fs.edit"), tool("notes.add_note"),
                tool("notes_add.note"), tool("x".repeat(70) + ".y")));

        assertThat(names.wire("cmd.run")).isEqualTo("cmd_run");
        assertThat(names.wire("notes.add_note")).isEqualTo("notes_add_note");
        // the same sanitised name twice: the second gets a suffix, and each still maps back to its own tool
        assertThat(names.wire("notes_add.note")).isEqualTo("notes_add_note_2");
        assertThat(names.tool("notes_add_note")).isEqualTo("notes.add_note");
        assertThat(names.tool("notes_add_note_2")).isEqualTo("notes_add.note");
        assertThat(names.wire("x".repeat(70) + ".y")).hasSize(64);
        for (String n : List.of("cmd.run", "fs.edit", "notes.add_note", "notes_add.note", "x".repeat(70) + ".y")) {
            assertThat(names.wire(n)).matches("[a-zA-Z0-9_-]{1,64}");
            assertThat(names.tool(names.wire(n))).isEqualTo(n);
        }
        // a name the model made up is passed on as it is (the gateway refuses it)
        assertThat(names.tool("rm_rf")).isEqualTo("rm_rf");
    }
}
