package ai.aegis.worker.runtime;

import ai.aegis.schemas.json.Json;
import ai.aegis.worker.runtime.GatewayStub.Reply;
import ai.aegis.worker.runtime.GatewayStub.Request;
import ai.aegis.worker.runtime.process.ProcessRuntime;
import ai.aegis.worker.runtime.process.ProcessRuntimeConfig;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code fs} dispatches run by bootstrap.py on a real workspace, with symbolic links that point out of it. */
class BootstrapFsTest {

    private static final String ETC_PROBE = "aegis-fs-test-must-not-exist";

    @TempDir
    Path dir;

    private Path workspace;
    private Path outside;

    @BeforeEach
    void workspaceWithLinksOut() throws Exception {
        workspace = Files.createDirectories(dir.resolve("ws"));
        outside = Files.createDirectories(dir.resolve("outside"));
        Files.writeString(outside.resolve("secret.txt"), "beta secret\n");
        Files.writeString(workspace.resolve("notes.txt"), "alpha\nbeta\ngamma beta\n");
        Files.write(workspace.resolve("utf8.txt"), "aéb".getBytes(StandardCharsets.UTF_8));
        Files.write(workspace.resolve("binary.dat"), new byte[] {(byte) 0xff, (byte) 0xfe, 'b', 'e', 't', 'a'});
        Files.createDirectories(workspace.resolve("dir/sub"));
        Files.writeString(workspace.resolve("dir/sub/long.txt"), "x".repeat(600) + "beta" + "\nno match\n");
        Files.createSymbolicLink(workspace.resolve("etc-link"), Path.of("/etc"));
        Files.createSymbolicLink(workspace.resolve("linked-parent"), outside);
        Files.createSymbolicLink(workspace.resolve("secret-link.txt"), outside.resolve("secret.txt"));
    }

    @AfterEach
    void removeLinks() throws Exception {
        // Only a regressed implementation would have written this (the tests may run as root): never leave it.
        Files.deleteIfExists(Path.of("/etc", ETC_PROBE));
        Files.deleteIfExists(workspace.resolve("etc-link"));
        Files.deleteIfExists(workspace.resolve("linked-parent"));
        Files.deleteIfExists(workspace.resolve("secret-link.txt"));
    }

    @Test
    void eachOpSucceedsWithItsShape() throws Exception {
        List<JsonNode> r = runFs(
                fs("read", "/workspace/notes.txt"),
                fs("read", "/workspace/notes.txt", "max_output_bytes", 7),
                fs("read", "/workspace/utf8.txt", "max_output_bytes", 2),
                fs("write", "/workspace/new/deep/out.txt", "content", "héllo"),
                fs("list", "/workspace"),
                fs("create_dir", "/workspace/made/a/b"),
                fs("grep", "/workspace", "pattern", "bet+a"),
                fs("edit", "/workspace/notes.txt", "target_content", "gamma", "replacement_content", "delta"),
                fs("delete", "/workspace/new/deep/out.txt"),
                fs("delete", "/workspace/dir", "recursive", true),
                fs("read", "/workspace/missing.txt"));

        assertThat(r).allSatisfy(m -> assertThat(m.has("exit_code")).isFalse());
        assertThat(r.get(0).path("result")).isEqualTo(tree(Map.of("status", "success", "path", "/workspace/notes.txt",
                "content", "alpha\nbeta\ngamma beta\n", "size_bytes", 22, "truncated", false)));
        assertThat(r.get(1).path("result")).isEqualTo(tree(Map.of("status", "success", "path", "/workspace/notes.txt",
                "content", "alpha\nb", "size_bytes", 22, "truncated", true)));
        // A cut inside a two-byte character drops the half character instead of sending a replacement mark.
        assertThat(r.get(2).path("result").path("content").asText()).isEqualTo("a");
        assertThat(r.get(2).path("result").path("truncated").asBoolean()).isTrue();

        assertThat(r.get(3).path("result")).isEqualTo(tree(Map.of("status", "success",
                "path", "/workspace/new/deep/out.txt", "bytes_written", 6)));

        JsonNode list = r.get(4).path("result");
        assertThat(list.path("status").asText()).isEqualTo("success");
        assertThat(list.path("path").asText()).isEqualTo("/workspace");
        assertThat(list.path("truncated").asBoolean()).isFalse();
        List<String> entries = new ArrayList<>();
        list.path("entries").forEach(e -> entries.add(e.path("name").asText() + ":" + e.path("file_type").asText()));
        assertThat(entries).containsExactly("binary.dat:file", "dir:dir", "etc-link:symlink",
                "linked-parent:symlink", "new:dir", "notes.txt:file", "secret-link.txt:symlink", "utf8.txt:file");
        assertThat(list.path("entries").get(5).path("size_bytes").asLong()).isEqualTo(22);

        assertThat(r.get(5).path("result")).isEqualTo(tree(Map.of("status", "success", "path", "/workspace/made/a/b")));
        assertThat(workspace.resolve("made/a/b")).isDirectory();

        // grep: binary.dat is not UTF-8, secret-link.txt and linked-parent lead out of the workspace: none of them.
        JsonNode grep = r.get(6).path("result");
        assertThat(grep.path("status").asText()).isEqualTo("success");
        assertThat(grep.path("count").asInt()).isEqualTo(3);
        assertThat(grep.path("truncated").asBoolean()).isFalse();
        // Top-down walk, names sorted: a directory's own files, then its subdirectories.
        assertThat(grep.path("matches").get(0)).isEqualTo(tree(Map.of("file", "/workspace/notes.txt",
                "line_number", 2, "line", "beta")));
        assertThat(grep.path("matches").get(1)).isEqualTo(tree(Map.of("file", "/workspace/notes.txt",
                "line_number", 3, "line", "gamma beta")));
        assertThat(grep.path("matches").get(2)).isEqualTo(tree(Map.of("file", "/workspace/dir/sub/long.txt",
                "line_number", 1, "line", "x".repeat(500))));

        assertThat(r.get(7).path("result")).isEqualTo(tree(Map.of("status", "success", "path", "/workspace/notes.txt",
                "bytes_written", 22)));
        assertThat(workspace.resolve("notes.txt")).hasContent("alpha\nbeta\ndelta beta\n");

        assertThat(r.get(8).path("result")).isEqualTo(tree(Map.of("status", "success",
                "path", "/workspace/new/deep/out.txt")));
        assertThat(workspace.resolve("new/deep")).isEmptyDirectory();
        assertThat(r.get(9).path("result").path("status").asText()).isEqualTo("success");
        assertThat(workspace.resolve("dir")).doesNotExist();

        assertThat(r.get(10).path("error").path("type").asText()).isEqualTo("not_found");
        assertThat(r.get(10).has("result")).isFalse();
    }

    @Test
    void editNeedsExactlyOneOccurrenceAndDeleteNeedsRecursiveForAFullDirectory() throws Exception {
        List<JsonNode> r = runFs(
                fs("edit", "/workspace/notes.txt", "target_content", "zeta", "replacement_content", "x"),
                fs("edit", "/workspace/notes.txt", "target_content", "beta", "replacement_content", "x"),
                fs("delete", "/workspace/dir"),
                fs("delete", "/workspace"),
                fs("delete", "/workspace/"));

        assertError(r.get(0), "invalid_arguments").contains("found 0");
        assertError(r.get(1), "invalid_arguments").contains("found 2");
        assertThat(workspace.resolve("notes.txt")).hasContent("alpha\nbeta\ngamma beta\n");
        assertError(r.get(2), "invalid_arguments").contains("recursive");
        assertThat(workspace.resolve("dir/sub/long.txt")).exists();
        assertError(r.get(3), "invalid_arguments").contains("root");
        assertError(r.get(4), "invalid_arguments").contains("root");
        assertThat(workspace).isDirectory();
    }

    @Test
    void symbolicLinksOutOfTheWorkspaceAreRefusedButCanBeDeletedThemselves() throws Exception {
        List<JsonNode> r = runFs(
                fs("read", "/workspace/etc-link/passwd"),
                fs("list", "/workspace/etc-link"),
                fs("write", "/workspace/etc-link/" + ETC_PROBE, "content", "x"),
                fs("read", "/workspace/linked-parent/secret.txt"),
                fs("write", "/workspace/linked-parent/planted.txt", "content", "x"),
                fs("create_dir", "/workspace/linked-parent/new-dir"),
                fs("edit", "/workspace/secret-link.txt", "target_content", "beta", "replacement_content", "x"),
                fs("grep", "/workspace/linked-parent", "pattern", "beta"),
                fs("delete", "/workspace/linked-parent/secret.txt"),
                fs("read", "/etc/passwd"),
                fs("read", "/workspace/dir/../../outside/secret.txt"),
                fs("delete", "/workspace/linked-parent"),
                fs("delete", "/workspace/secret-link.txt"));

        for (int i = 0; i <= 10; i++) {
            assertError(r.get(i), "path_traversal_attempt");
        }
        assertThat(Path.of("/etc", ETC_PROBE)).doesNotExist();
        assertThat(outside.resolve("planted.txt")).doesNotExist();
        assertThat(outside.resolve("new-dir")).doesNotExist();
        assertThat(outside.resolve("secret.txt")).hasContent("beta secret\n");

        assertThat(r.get(11).path("result")).isEqualTo(tree(Map.of("status", "success",
                "path", "/workspace/linked-parent")));
        assertThat(r.get(12).path("result").path("status").asText()).isEqualTo("success");
        assertThat(Files.exists(workspace.resolve("linked-parent"), LinkOption.NOFOLLOW_LINKS)).isFalse();
        assertThat(Files.exists(workspace.resolve("secret-link.txt"), LinkOption.NOFOLLOW_LINKS)).isFalse();
        assertThat(outside.resolve("secret.txt")).hasContent("beta secret\n");
    }

    private static org.assertj.core.api.AbstractStringAssert<?> assertError(JsonNode message, String type) {
        assertThat(message.has("result")).as(message.toString()).isFalse();
        assertThat(message.path("error").path("type").asText()).as(message.toString()).isEqualTo(type);
        return assertThat(message.path("error").path("message").asText());
    }

    /** Runs bootstrap.py through the given fs dispatches and returns the dispatch_result for each, in order. */
    @SafeVarargs
    private List<JsonNode> runFs(Map<String, Object>... dispatches) throws Exception {
        List<Reply> replies = new ArrayList<>();
        for (int i = 0; i < dispatches.length; i++) {
            Map<String, Object> dispatch = new LinkedHashMap<>();
            dispatch.put("type", "dispatch");
            dispatch.put("dispatch_id", "f-" + i);
            dispatch.putAll(dispatches[i]);
            replies.add(Reply.json(dispatch));
        }
        replies.add(Reply.json(Map.of("type", "final", "content", "fs done")));
        try (GatewayStub gateway = GatewayStub.replying(replies.toArray(Reply[]::new))) {
            Map<String, String> env = new HashMap<>();
            env.put("AEGIS_EXECUTION_ID", "exec-fs");
            env.put("AEGIS_AGENT_ID", "agent-fs");
            env.put("AEGIS_MODEL_ALIAS", "smart");
            env.put("AEGIS_ORCHESTRATOR_URL", gateway.baseUrl());
            env.put("AEGIS_EXECUTION_TOKEN", "fs-token");
            env.put("AEGIS_WORKSPACE", workspace.toString());
            SandboxResult result = new ProcessRuntime(new ProcessRuntimeConfig(null, dir.resolve("runtime")))
                    .run(BootstrapScriptTest.spec(env, "files"), (stream, line) -> { });

            assertThat(result.exitCode()).as(result.stderr()).isZero();
            assertThat(result.stdout()).isEqualTo("fs done");
            List<Request> requests = gateway.requests();
            assertThat(requests).hasSize(dispatches.length + 1);
            List<JsonNode> results = new ArrayList<>();
            for (int i = 0; i < dispatches.length; i++) {
                JsonNode message = requests.get(i + 1).body();
                assertThat(message.path("type").asText()).isEqualTo("dispatch_result");
                assertThat(message.path("execution_id").asText()).isEqualTo("exec-fs");
                assertThat(message.path("dispatch_id").asText()).isEqualTo("f-" + i);
                results.add(message);
            }
            return results;
        }
    }

    private static Map<String, Object> fs(String op, String path, Object... args) {
        Map<String, Object> dispatch = new LinkedHashMap<>();
        dispatch.put("action", "fs");
        dispatch.put("op", op);
        dispatch.put("path", path);
        for (int i = 0; i < args.length; i += 2) {
            dispatch.put((String) args[i], args[i + 1]);
        }
        dispatch.putIfAbsent("max_output_bytes", 1 << 20);
        return dispatch;
    }

    private static JsonNode tree(Object value) {
        return Json.MAPPER.valueToTree(value);
    }
}
