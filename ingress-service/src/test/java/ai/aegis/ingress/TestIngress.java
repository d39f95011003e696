package ai.aegis.ingress;

import ai.aegis.schemas.topic.TopicCatalog;
import ai.aegis.testing.SharedTestBroker;
import ai.aegis.topology.kafka.KafkaSettings;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

/** An ingress on the tests' shared broker, on topics of its own, and the smallest agent it deploys. */
final class TestIngress {

    private TestIngress() {
    }

    /**
     * Starts a node on a free port, with authentication, on topics no other test uses.
     *
     * @param name what the test is, for the topics' prefix and the clients' names
     */
    static IngressServer start(String name, IngressConfig.Builder config, Path dataDir) {
        return start(kafka(name, 1), config, dataDir);
    }

    /** Topics no other test uses (the system creates them at start), for a test that also writes to them. */
    static KafkaSettings kafka(String name, int partitions) {
        return KafkaSettings.of(SharedTestBroker.get().bootstrapServers(),
                new TopicCatalog(name + UUID.randomUUID().toString().replace("-", ""), partitions), name);
    }

    /** A node on those topics, on a free port, with authentication. */
    static IngressServer start(KafkaSettings kafka, IngressConfig.Builder config, Path dataDir) {
        return IngressServer.start(config.dataDir(dataDir).port(0).build(), kafka);
    }

    static String token(IngressServer server) throws IOException {
        return Files.readString(server.tokenFile()).strip();
    }

    static String manifest(String name) {
        return """
                apiVersion: 100monkeys.ai/v1
                kind: Agent
                metadata:
                  name: %s
                  version: "1.0.0"
                spec:
                  runtime:
                    language: python
                    version: "3.11"
                """.formatted(name);
    }
}
