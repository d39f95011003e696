package ai.aegis.cli;

import ai.aegis.schemas.json.Json;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.errors.GroupIdNotFoundException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * An {@code aegis} command in a JVM of its own, on a configuration written as YAML, so that a test can do to it what
 * real faults do: SIGKILL it ({@link #kill()}), and see what it leaves behind.
 */
final class AegisProcess implements AutoCloseable {

    private final Process process;
    private final Path log;

    private AegisProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /**
     * @param command {@code worker}, {@code engine}, ...
     * @param config  the configuration: flat keys ({@code aegis.kafka.topic-prefix}) and whole subtrees
     *                ({@code aegis.llm}) merged into one YAML file
     * @param name    names the YAML and log files in {@code dir}
     */
    static AegisProcess start(String command, ObjectNode config, Path dir, String name) throws IOException {
        Path file = dir.resolve(name + ".yaml");
        Json.YAML.writeValue(file.toFile(), config);
        String java = ProcessHandle.current().info().command().orElse("java");
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx512m", "--enable-native-access=ALL-UNNAMED",
                "-cp", classpath, AegisMain.class.getName(), command, "--config", file.toString());
        pb.environment().put("CLASSPATH", ""); // the class path is given above, never inherited
        Path log = dir.resolve(name + ".log");
        pb.redirectErrorStream(true).redirectOutput(log.toFile());
        return new AegisProcess(pb.start(), log);
    }

    /** Flat configuration keys ({@code aegis.worker.group-id} -> value) as the tree a YAML file holds. */
    static ObjectNode tree(Map<String, String> flat) {
        ObjectNode config = Json.MAPPER.createObjectNode();
        flat.forEach((key, value) -> {
            String[] path = key.split("\\.");
            ObjectNode node = config;
            for (int i = 0; i < path.length - 1; i++) {
                node = node.withObject("/" + path[i]);
            }
            node.put(path[path.length - 1], value);
        });
        return config;
    }

    Process process() {
        return process;
    }

    /** What the process printed so far, for failure messages. */
    String log() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    /** Waits until the consumer group has {@code members} members, each with partitions, and is stable. */
    void awaitGroup(Admin admin, String group, int members) {
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            assertThat(process.isAlive()).as(() -> "the process is running; its log:\n" + log()).isTrue();
            ConsumerGroupDescription d;
            try {
                d = admin.describeConsumerGroups(List.of(group)).all().get(10, TimeUnit.SECONDS).get(group);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof GroupIdNotFoundException) {
                    return false; // nobody joined yet
                }
                throw e;
            }
            return d.groupState() == GroupState.STABLE && d.members().size() == members
                    && d.members().stream().allMatch(m -> !m.assignment().topicPartitions().isEmpty());
        });
    }

    /** SIGKILL, the way a crash ends a process: nothing is closed, nobody leaves a group. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        assertThat(process.waitFor(10, TimeUnit.SECONDS)).isTrue();
    }

    @Override
    public void close() {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
    }
}
