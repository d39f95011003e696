package ai.aegis.cli;

import ai.aegis.schemas.execution.ExecutionEvent;
import ai.aegis.schemas.json.Json;
import ai.aegis.worker.llm.scripted.ScriptStep;
import ai.aegis.worker.runtime.docker.DockerRuntime;
import ai.aegis.worker.runtime.docker.DockerRuntimeConfig;
import com.fasterxml.jackson.databind.JsonNode;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.httpclient5.ApacheDockerHttpClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

/**
 * Executions through the real Docker engine, end to end: a command runs in a container as a non-root user without
 * network, and timeouts and cancellation leave no container behind (asserted through the engine).
 */
class DockerExecutionTest {

    private static final String IMAGE = "agent-base:local";

    @TempDir
    static Path dataDir;
    static DockerRuntime docker;
    /** The engine as the test sees it, apart from the runtime under test. */
    static DockerClient engine;
    static TestSystem system;

    @BeforeAll
    static void start() throws Exception {
        String host = System.getenv("DOCKER_HOST");
        if (host == null || host.isBlank()) {
            if ("skip".equals(System.getProperty("aegis.test.docker"))) {
                Assumptions.abort("DOCKER_HOST is not set and -Daegis.test.docker=skip was given");
            }
            fail("DOCKER_HOST is not set: start an engine with shared/tools/agent-runtime.sh start-docker and export"
                    + " the DOCKER_HOST it prints (CI's .ci/run does), or pass -Daegis.test.docker=skip");
        }
        engine = DockerClientImpl.getInstance(DefaultDockerClientConfig.createDefaultConfigBuilder()
                .withDockerHost(host).withDockerTlsVerify(false).build(),
                new ApacheDockerHttpClient.Builder().dockerHost(URI.create(host)).build());
        docker = new DockerRuntime(new DockerRuntimeConfig(host,
                List.of("/usr:/usr:ro", "/etc/alternatives:/etc/alternatives:ro"), null, null, null,
                dataDir.resolve("docker"), IMAGE, null)).start();
        system = new TestSystem(dataDir, Map.of(
                "whoami", List.of(
                        ScriptStep.toolCall("cmd.run", TestSystem.args("{\"command\":\"id -u; grep CapEff /proc/self/status\"}")),
                        ScriptStep.reply("{{last_tool_stdout}}")),
                "slow", List.of(
                        ScriptStep.toolCall("cmd.run", TestSystem.args("{\"command\":\"sleep 60\",\"timeout_secs\":120}")),
                        ScriptStep.reply("woke up")),
                "files", List.of(
                        ScriptStep.toolCall("fs.write", TestSystem.args("{\"path\":\"notes.txt\",\"content\":\"colour: red\\n\"}")),
                        ScriptStep.toolCall("fs.edit", TestSystem.args("{\"path\":\"notes.txt\",\"target_content\":\"red\","
                                + "\"replacement_content\":\"blue\"}")),
                        ScriptStep.toolCall("cmd.run", TestSystem.args("{\"command\":\"ln -s /etc escape\"}")),
                        ScriptStep.toolCall("fs.read", TestSystem.args("{\"path\":\"escape/passwd\"}")),
                        ScriptStep.toolCall("cmd.run", TestSystem.args("{\"command\":\"cat notes.txt\"}")),
                        ScriptStep.reply("{{last_tool_stdout}}"))), docker);
    }

    @AfterAll
    static void stop() throws IOException {
        if (system != null) {
            system.close();
        }
        if (docker != null) {
            docker.close();
        }
        if (engine != null) {
            engine.close();
        }
    }

    private static String agent(String name, String model, String execution) {
        return agent(name, model, execution, "\"tools\":[\"cmd.run\"]");
    }

    /** @param more more fields of {@code spec}, as JSON text */
    private static String agent(String name, String model, String execution, String more) {
        return """
                {"apiVersion":"100monkeys.ai/v1","kind":"Agent",
                 "metadata":{"name":"%s","version":"1.0.0"},
                 "spec":{"runtime":{"image":"%s","image_pull_policy":"Never","model":"%s"},
                         "task":{"instruction":"Do the test task."},"execution":%s,
                         "security":{"resources":{"memory":"256Mi","cpu":500}},%s}}"""
                .formatted(name, IMAGE, model, execution, more);
    }

    private static List<String> containers(String executionId) {
        return engine.listContainersCmd().withShowAll(true)
                .withLabelFilter(Map.of("aegis.execution_id", executionId)).exec().stream()
                .map(Container::getId).toList();
    }

    @Test
    void fileToolsWorkOnTheContainersOwnWorkspaceAndASymlinkOutOfItIsRefused() throws Exception {
        String agentId = system.deploy(agent("docker-files", "files", "{\"max_iterations\":1}",
                "\"security_context\":\"aegis-system-operator\",\"tools\":[\"cmd.run\",\"fs.*\"]"));
        String executionId = system.startExecution(agentId, "x");

        JsonNode view = system.awaitEnd(executionId, Duration.ofSeconds(90));

        assertThat(view.get("status").asText()).as(view.toString()).isEqualTo("completed");
        assertThat(view.get("final_output").asText()).isEqualTo("colour: blue");
        List<ExecutionEvent> events = TopicLog.executionEvents(system.kafka, List.of(executionId)).get(executionId);
        assertThat(events).filteredOn(ExecutionEvent.PolicyViolation.class::isInstance).singleElement()
                .satisfies(e -> {
                    ExecutionEvent.PolicyViolation v = (ExecutionEvent.PolicyViolation) e;
                    assertThat(v.tool()).isEqualTo("fs.read");
                    assertThat(v.violationType()).isEqualTo("path_traversal_attempt");
                    assertThat(v.source()).isEqualTo("sandbox");
                });
        assertThat(containers(executionId)).isEmpty();
    }

    @Test
    void anExecutionRunsInAContainerAsANonRootUserWithoutCapabilities() throws Exception {
        String agentId = system.deploy(agent("docker-whoami", "whoami", "{\"max_iterations\":1}"));
        String executionId = system.startExecution(agentId, "x");

        JsonNode view = system.awaitEnd(executionId, Duration.ofSeconds(90));

        assertThat(view.get("status").asText()).as(view.toString()).isEqualTo("completed");
        assertThat(view.get("final_output").asText()).startsWith("1000\n").contains("CapEff:\t0000000000000000");
        assertThat(containers(executionId)).isEmpty();
    }

    @Test
    void timeoutAndCancelKillTheContainerAndLeaveNoneBehind() throws Exception {
        String timeoutAgent = system.deploy(agent("docker-timeout", "slow",
                "{\"max_iterations\":1,\"iteration_timeout\":\"3s\"}"));
        String timedOut = system.startExecution(timeoutAgent, "x");
        JsonNode failed = system.awaitEnd(timedOut, Duration.ofSeconds(90));
        assertThat(failed.get("status").asText()).isEqualTo("failed");
        assertThat(failed.get("iterations").get(0).get("error").asText()).contains("timed out after 3 s");
        assertThat(containers(timedOut)).isEmpty();

        String cancelAgent = system.deploy(agent("docker-cancel", "slow", "{\"max_iterations\":1}"));
        String cancelled = system.startExecution(cancelAgent, "x");
        await().atMost(Duration.ofSeconds(60)).until(() -> !containers(cancelled).isEmpty());
        await().atMost(Duration.ofSeconds(60)).until(() -> Json.tree(system.get("/v1/executions/" + cancelled)
                .body()).path("iterations").size() == 1);
        HttpResponse<String> cancel = system.post("/v1/executions/" + cancelled + "/cancel", "");
        assertThat(cancel.statusCode()).as(cancel.body()).isEqualTo(200);
        assertThat(Json.tree(cancel.body()).get("status").asText()).isEqualTo("cancelled");
        await().atMost(Duration.ofSeconds(15)).until(() -> containers(cancelled).isEmpty());
    }
}
