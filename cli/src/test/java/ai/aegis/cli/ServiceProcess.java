package ai.aegis.cli;

import ai.aegis.schemas.json.Json;
import ai.aegis.testing.Signals;
import ai.aegis.testing.WhileParentLives;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.ShareGroupDescription;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.awaitility.core.ConditionTimeoutException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * One service of a {@link TestSystem} run as its own {@code aegis} process (same broker, topics and groups, from
 * the system's configuration written to a file), so that a test can kill it as the kernel would: SIGKILL, no
 * shutdown hook, nothing more written. The process ends with the test JVM ({@link WhileParentLives}).
 */
final class ServiceProcess implements AutoCloseable {

    private final String name;
    private final Process process;
    private final Path log;

    private ServiceProcess(String name, Process process, Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
    }

    /**
     * {@code aegis <command>} in its own JVM.
     *
     * @param overrides configuration keys replacing the system's (a data directory of its own, for an engine)
     * @param aegis     adds to the {@code aegis} node of the configuration file (models, for a worker)
     */
    static ServiceProcess start(TestSystem system, Path dir, String name, String command,
                                Map<String, String> overrides, Consumer<ObjectNode> aegis) throws IOException {
        Map<String, String> keys = new HashMap<>(system.config());
        keys.putAll(overrides);
        return start(keys, dir, name, command, aegis);
    }

    /** {@code aegis <command>} on exactly these configuration keys (and the additions of {@code aegis}). */
    static ServiceProcess start(Map<String, String> keys, Path dir, String name, String command,
                                Consumer<ObjectNode> aegis) throws IOException {
        ObjectNode config = Json.MAPPER.createObjectNode();
        keys.forEach((key, value) -> {
            String[] path = key.split("\\.");
            ObjectNode node = config;
            for (int i = 0; i < path.length - 1; i++) {
                node = node.withObject("/" + path[i]);
            }
            node.put(path[path.length - 1], value);
        });
        aegis.accept(config.withObject("/aegis"));
        Path file = dir.resolve(name + ".yaml");
        Json.YAML.writeValue(file.toFile(), config);
        Path log = dir.resolve(name + ".log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx512m", "--enable-native-access=ALL-UNNAMED",
                "-cp", classpath, WhileParentLives.class.getName(), AegisMain.class.getName(), command,
                "--config", file.toString());
        pb.environment().put("CLASSPATH", ""); // the class path is given above, never inherited
        pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        return new ServiceProcess(name, pb.start(), log);
    }

    /**
     * {@code aegis worker} whose scripted model {@code model} runs {@code command} with {@code cmd.run}, then answers
     * {@code reply} (the shape of the tests' in-process scripts, given as configuration).
     */
    static ServiceProcess worker(TestSystem system, Path dir, String name, String model, String command,
                                 String reply) throws IOException {
        return start(system, dir, name, "worker", Map.of(), aegis -> {
            ObjectNode provider = aegis.withObject("/llm").putArray("providers").addObject()
                    .put("name", "scripted-test").put("type", "scripted");
            provider.putArray("models").addObject().put("alias", model).put("model", model);
            ArrayNode script = provider.putObject("scripts").putArray(model);
            script.addObject().putObject("tool_call").put("name", "cmd.run")
                    .put("arguments", Json.write(Map.of("command", command)));
            script.addObject().put("reply", reply);
        });
    }

    ProcessHandle handle() {
        return process.toHandle();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /**
     * Waits until a sandbox of one of {@code workers} starts a process whose command line contains {@code command}
     * (one that was not running when the wait began: it has just started, so it still has time to run when the
     * caller acts on it), and returns that worker. Which worker gets a request is the share group's choice. The
     * process start times Linux gives are too coarse to tell a young process from an old one.
     */
    static ServiceProcess awaitNewSandboxProcess(List<ServiceProcess> workers, String command, Duration within) {
        Map<ServiceProcess, Set<Long>> before = new HashMap<>();
        workers.forEach(w -> before.put(w, w.sandboxProcesses(command)));
        AtomicReference<ServiceProcess> found = new AtomicReference<>();
        try {
            await().atMost(within).pollInterval(Duration.ofMillis(20)).until(() -> {
                for (ServiceProcess w : workers) {
                    assertThat(w.isAlive()).as(() -> w.name + " is running; its log:\n" + w.log()).isTrue();
                    if (w.sandboxProcesses(command).stream().anyMatch(pid -> !before.get(w).contains(pid))) {
                        found.set(w);
                        return true;
                    }
                }
                return false;
            });
        } catch (ConditionTimeoutException e) {
            StringBuilder logs = new StringBuilder();
            workers.forEach(w -> logs.append("\n--- ").append(w.name).append(", the end of its log:\n")
                    .append(w.log().substring(Math.max(0, w.log().length() - 4000))));
            throw new AssertionError("no new sandbox in " + workers.stream().map(w -> w.name).toList() + " within "
                    + within + logs, e);
        }
        return found.get();
    }

    private Set<Long> sandboxProcesses(String command) {
        return process.descendants().filter(p -> p.info().commandLine().map(c -> c.contains(command)).orElse(false))
                .map(ProcessHandle::pid).collect(Collectors.toSet());
    }

    /** What the process printed so far. */
    String log() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    /**
     * SIGKILL. A crash leaves the worker's sandboxes running, cut off from their gateway; they are removed too, so
     * that the test leaves nothing behind.
     */
    void kill() {
        List<ProcessHandle> children = process.descendants().toList();
        Signals.kill(process.toHandle());
        children.forEach(ProcessHandle::destroyForcibly);
    }

    /** Waits until the consumer group (a Streams app) has {@code members} members, all with partitions. */
    void awaitStableGroup(Admin admin, String group, int members) {
        await().atMost(Duration.ofSeconds(90)).until(() -> {
            assertThat(isAlive()).as(() -> name + " is running; its log:\n" + log()).isTrue();
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

    /**
     * Waits until the workers' share group has {@code members} members (each worker is one per slot,
     * {@code aegis.worker.concurrency}) while this one lives.
     */
    void awaitShareGroup(Admin admin, String group, int members) {
        await().atMost(Duration.ofSeconds(90)).until(() -> {
            assertThat(isAlive()).as(() -> name + " is running; its log:\n" + log()).isTrue();
            ShareGroupDescription d;
            try {
                d = admin.describeShareGroups(List.of(group)).all().get(10, TimeUnit.SECONDS).get(group);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof GroupIdNotFoundException) {
                    return false; // nobody joined yet
                }
                throw e;
            }
            return d.groupState() == GroupState.STABLE && d.members().size() == members;
        });
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            kill();
        }
    }
}
