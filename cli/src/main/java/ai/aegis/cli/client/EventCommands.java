package ai.aegis.cli.client;

import ai.aegis.schemas.json.Json;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/** {@code aegis events tail}: an execution's stream, or a Kafka topic, one JSON per line. */
@Command(name = "events", mixinStandardHelpOptions = true, description = "Watch events.",
        subcommands = EventCommands.Tail.class)
public final class EventCommands {

    @Command(name = "tail", mixinStandardHelpOptions = true, description = {
            "Print events, one JSON per line: an execution's (--execution, until it ends) or a Kafka topic's",
            "(--topic, --bootstrap-servers; until interrupted or --max)."})
    static final class Tail extends ClientCommand {
        @Option(names = "--execution", paramLabel = "ID", description = "an execution's event stream (the API)")
        String execution;
        @Option(names = "--topic", paramLabel = "NAME", description = "a Kafka topic, read directly")
        String topic;
        @Option(names = "--bootstrap-servers", paramLabel = "LIST", defaultValue = "localhost:9092",
                description = "the Kafka cluster of --topic (default localhost:9092)")
        String bootstrapServers;
        @Option(names = "--type", paramLabel = "CE_TYPE", description = "only records whose ce_type header is this")
        String type;
        @Option(names = "--from-beginning", description = "the topic from its beginning, not only new records")
        boolean fromBeginning;
        @Option(names = "--max", paramLabel = "N", description = "stop after N records (--topic)")
        Long max;

        Tail(Context context) {
            super(context);
        }

        @Override
        public Integer call() {
            if ((execution == null) == (topic == null)) {
                throw new CliException("give --execution ID or --topic NAME (see aegis events tail --help)", 2);
            }
            if (execution != null) {
                api().stream("/v1/executions/" + ApiClient.encode(execution) + "/stream", frame -> {
                    context.out().println(Json.write(frame));
                    context.out().flush();
                    return true;
                });
                return 0;
            }
            return topic();
        }

        private int topic() {
            Properties p = new Properties();
            p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
            p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
            p.put(ConsumerConfig.CLIENT_ID_CONFIG, "aegis-events-tail");
            try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(p, new StringDeserializer(),
                    new ByteArrayDeserializer())) {
                Map<String, List<PartitionInfo>> topics = consumer.listTopics(Duration.ofSeconds(10));
                List<PartitionInfo> parts = topics.get(topic);
                if (parts == null) {
                    throw new CliException("no topic " + topic + " on " + bootstrapServers);
                }
                List<TopicPartition> tps = parts.stream().map(i -> new TopicPartition(topic, i.partition())).toList();
                consumer.assign(tps);
                if (fromBeginning) {
                    consumer.seekToBeginning(tps);
                } else {
                    consumer.seekToEnd(tps);
                }
                long printed = 0;
                while (max == null || printed < max) {
                    for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                        if (type != null && !type.equals(ceType(r))) {
                            continue;
                        }
                        context.out().println(line(r.value()));
                        context.out().flush();
                        if (max != null && ++printed >= max) {
                            break;
                        }
                    }
                }
                return 0;
            } catch (org.apache.kafka.common.errors.InterruptException e) {
                // poll() answers an interrupt so (a KafkaException too: caught before the one below)
                Thread.currentThread().interrupt();
                return 130;
            } catch (org.apache.kafka.common.errors.TimeoutException e) {
                throw new CliException("cannot reach Kafka at " + bootstrapServers + " (" + e.getMessage() + ")");
            } catch (org.apache.kafka.common.KafkaException e) {
                throw new CliException("cannot read " + topic + " from " + bootstrapServers + ": " + e.getMessage());
            }
        }

        /** The record's {@code ce_type} header, or null (none, or one without a value). */
        private static String ceType(ConsumerRecord<String, byte[]> r) {
            Header ce = r.headers().lastHeader("ce_type");
            return ce == null || ce.value() == null ? null : new String(ce.value(), StandardCharsets.UTF_8);
        }

        /** The value as one line of JSON: as it is when it is JSON, else as a JSON string. */
        private static String line(byte[] value) {
            return value == null ? "null" : Json.write(ApiClient.jsonOrText(new String(value, StandardCharsets.UTF_8)));
        }
    }
}
