package ai.aegis.worker.smcp.tools;

import ai.aegis.schemas.agent.ToolCatalog;
import ai.aegis.schemas.json.Json;

import java.util.List;

/**
 * The built-in tools: {@code cmd.run} (a command in the sandbox, through the dispatch protocol) and the file tools
 * {@code fs.*}, which work on the sandbox's {@code /workspace} (applied inside the sandbox, where the workspace is).
 * Their input schemas are the reference's, with the few optional arguments we add.
 */
public final class BuiltinTools {

    public static final ToolDescriptor CMD_RUN = builtin(ToolCatalog.CMD_RUN,
            "Run a command in the agent's sandbox and return its exit code, stdout and stderr. Give `command` as a "
                    + "shell command line, or `command` plus `args` to run a program with an argument vector.",
            """
            {"type":"object","properties":{
              "command":{"type":"string","minLength":1,"description":"program, or a shell command line when args is absent"},
              "args":{"type":"array","items":{"type":"string"},"description":"arguments, passed without a shell"},
              "timeout_secs":{"type":"integer","minimum":1,"maximum":300}},
             "required":["command"]}""");

    public static final List<ToolDescriptor> ALL = List.of(CMD_RUN,
            builtin(ToolCatalog.FS_READ, "Read a text file of the workspace (/workspace).", """
                    {"type":"object","properties":{"path":{"type":"string","minLength":1}},"required":["path"]}"""),
            builtin(ToolCatalog.FS_WRITE, "Write a text file of the workspace, creating it and its directories, "
                    + "replacing what it held.", """
                    {"type":"object","properties":{"path":{"type":"string","minLength":1},"content":{"type":"string"}},
                     "required":["path","content"]}"""),
            builtin(ToolCatalog.FS_LIST, "List a directory of the workspace.", """
                    {"type":"object","properties":{"path":{"type":"string","minLength":1}},"required":["path"]}"""),
            builtin(ToolCatalog.FS_CREATE_DIR, "Create a directory of the workspace, and its parents.", """
                    {"type":"object","properties":{"path":{"type":"string","minLength":1}},"required":["path"]}"""),
            builtin(ToolCatalog.FS_DELETE, "Delete a file or (with recursive) a directory of the workspace.", """
                    {"type":"object","properties":{"path":{"type":"string","minLength":1},"recursive":{"type":"boolean"}},
                     "required":["path"]}"""),
            builtin(ToolCatalog.FS_EDIT, "Replace the one occurrence of target_content in a file of the workspace "
                    + "with replacement_content (it fails when the target occurs zero or several times).", """
                    {"type":"object","properties":{"path":{"type":"string","minLength":1},
                      "target_content":{"type":"string","minLength":1},"replacement_content":{"type":"string"}},
                     "required":["path","target_content","replacement_content"]}"""),
            builtin(ToolCatalog.FS_GREP, "Search a file, or the files under a directory of the workspace, for lines "
                    + "matching a regular expression.", """
                    {"type":"object","properties":{"pattern":{"type":"string","minLength":1},"path":{"type":"string","minLength":1}},
                     "required":["pattern","path"]}"""));

    private BuiltinTools() {
    }

    private static ToolDescriptor builtin(String name, String description, String schema) {
        return new ToolDescriptor(name, description, Json.tree(schema), ToolDescriptor.BUILTIN);
    }
}
