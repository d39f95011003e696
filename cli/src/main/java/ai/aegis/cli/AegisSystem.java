package ai.aegis.cli;

import ai.aegis.approval.ApprovalConfig;
import ai.aegis.approval.ApprovalRoutes;
import ai.aegis.approval.ApprovalService;
import ai.aegis.broker.EmbeddedKafkaBroker;
import ai.aegis.ingress.ComposedServices;
import ai.aegis.ingress.IngressConfig;
import ai.aegis.ingress.IngressServer;
import ai.aegis.topology.config.InstanceId;
import ai.aegis.topology.kafka.KafkaConfigReader;
import ai.aegis.topology.kafka.KafkaSettings;
import ai.aegis.topology.lifecycle.Closer;
import ai.aegis.topology.stimulus.StimulusConfig;
import ai.aegis.topology.stimulus.StimulusService;
import ai.aegis.topology.workflow.WorkflowEngineConfig;
import ai.aegis.topology.workflow.WorkflowEngineService;
import ai.aegis.worker.WorkerConfig;
import ai.aegis.worker.WorkerService;
import ai.aegis.worker.llm.ModelRegistry;
import ai.aegis.worker.runtime.ContainerRuntime;
import ai.aegis.worker.smcp.SmcpConfig;
import io.helidon.config.Config;

import java.nio.file.Path;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The one composition root: builds the services a process runs from the {@code aegis} configuration, starts them in
 * order and closes them in reverse order. {@code aegis up} (everything, on an embedded broker unless a cluster is
 * configured), {@code aegis ingress|worker|engine} (one service each against a cluster), {@code aegis bench} and the
 * end-to-end tests all compose through here, so a new service is added in one place.
 *
 * <p>If any step fails, everything already started is closed (newest first) before the failure is rethrown: a
 * failed start leaves no broker, consumer, Streams client or listener behind.
 */
public final class AegisSystem implements AutoCloseable {

    /**
     * The services one process can run, in the order they start: the ingress comes last, so its port opens only once
     * the services whose routes and readiness it serves are up.
     */
    public enum Service {
        WORKER, WORKFLOW_ENGINE, APPROVALS, INGRESS
    }

    private final Path dataDir;
    private final EmbeddedKafkaBroker broker;
    private final KafkaSettings kafka;
    private final ModelRegistry models;
    private final WorkerService worker;
    private final WorkflowEngineService engine;
    private final ApprovalService approvals;
    private final IngressServer ingress;
    /** Every service started, closed newest first. */
    private final Closer started;

    private AegisSystem(Composition b) {
        this.dataDir = b.dataDir;
        this.broker = b.broker;
        this.kafka = b.kafka;
        this.models = b.models;
        this.worker = b.worker;
        this.engine = b.engine;
        this.approvals = b.approvals;
        this.ingress = b.ingress;
        this.started = b.started;
    }

    /**
     * What to compose.
     *
     * @param aegis           the {@code aegis} configuration node; every setting not in it takes its default
     * @param services        which services this process runs
     * @param embeddedBroker  start a single-node broker under {@code <data-dir>/kafka} when
     *                        {@code aegis.kafka.bootstrap-servers} is not set ({@code aegis up}); otherwise a missing
     *                        cluster address is an error that names the setting
     * @param models          the workers' language models; null reads {@code aegis.llm}
     * @param runtime         the workers' container runtime, already built; null chooses one from
     *                        {@code aegis.worker.runtime}
     * @param onEngineFailure called once, on the engine's thread, if the workflow engine later stops on an error
     */
    public record Options(Config aegis, Set<Service> services, boolean embeddedBroker, ModelRegistry models,
                          ContainerRuntime runtime, Runnable onEngineFailure) {

        public Options {
            Objects.requireNonNull(aegis, "aegis");
            services = services.isEmpty() ? Set.of() : Collections.unmodifiableSet(EnumSet.copyOf(services));
            onEngineFailure = onEngineFailure == null ? () -> { } : onEngineFailure;
        }

        /** Every service, no embedded broker, models and runtime from the configuration. */
        public static Options.Builder builder(Config aegis) {
            return new Options.Builder(aegis);
        }

        public static final class Builder {
            private final Config aegis;
            private Set<Service> services = EnumSet.allOf(Service.class);
            private boolean embeddedBroker;
            private ModelRegistry models;
            private ContainerRuntime runtime;
            private Runnable onEngineFailure;

            private Builder(Config aegis) {
                this.aegis = aegis;
            }

            public Builder services(Set<Service> v) {
                services = EnumSet.noneOf(Service.class);
                services.addAll(v);
                return this;
            }

            public Builder services(Service first, Service... rest) {
                return services(EnumSet.of(first, rest));
            }

            public Builder embeddedBroker(boolean v) {
                embeddedBroker = v;
                return this;
            }

            public Builder models(ModelRegistry v) {
                models = v;
                return this;
            }

            public Builder runtime(ContainerRuntime v) {
                runtime = v;
                return this;
            }

            public Builder onEngineFailure(Runnable v) {
                onEngineFailure = v;
                return this;
            }

            public Options build() {
                return new Options(aegis, services, embeddedBroker, models, runtime, onEngineFailure);
            }
        }
    }

    /** {@code aegis.data-dir}, default {@link #defaultDataDir()}: the broker's data, Streams state, the API token. */
    public static Path dataDir(Config aegis) {
        return aegis.get("data-dir").asString().map(Path::of).orElseGet(AegisSystem::defaultDataDir).toAbsolutePath();
    }

    /** {@code ~/.aegis}. */
    public static Path defaultDataDir() {
        return Path.of(System.getProperty("user.home"), ".aegis");
    }

    /**
     * Starts the services of {@code options} in {@link Service} order.
     *
     * @throws RuntimeException the first failure, after everything started before it was closed
     */
    public static AegisSystem start(Options options) {
        Composition b = new Composition(options);
        try {
            b.startKafka();
            for (Service service : Service.values()) {
                if (options.services().contains(service)) {
                    b.start(service);
                }
            }
            return new AegisSystem(b);
        } catch (RuntimeException e) {
            b.started.closeAll(e);
            throw e;
        }
    }

    /** Collects what {@link #start} built, in start order, so that a failure can close exactly that. */
    private static final class Composition {
        private final Options options;
        private final Config aegis;
        private final Path dataDir;
        private final Closer started = new Closer();
        private EmbeddedKafkaBroker broker;
        private KafkaSettings kafka;
        private ModelRegistry models;
        private WorkerService worker;
        private WorkflowEngineService engine;
        private StimulusService stimuli;
        private ApprovalService approvals;
        private IngressServer ingress;

        Composition(Options options) {
            this.options = options;
            this.aegis = options.aegis();
            this.dataDir = dataDir(aegis);
        }

        void startKafka() {
            Config node = aegis.get("kafka");
            KafkaSettings settings;
            if (options.embeddedBroker() && !node.get("bootstrap-servers").exists()) {
                broker = EmbeddedKafkaBroker.start(dataDir.resolve("kafka"));
                started.add(broker);
                settings = KafkaConfigReader.read(node, "aegis", broker.bootstrapServers());
            } else {
                settings = KafkaConfigReader.read(node, "aegis");
            }
            // one identity per process and data directory: the Streams apps rejoin as static members after a crash
            kafka = settings.withGroupInstanceId(InstanceId.resolve(aegis, dataDir));
        }

        void start(Service service) {
            switch (service) {
                case WORKER -> {
                    models = options.models() != null ? options.models() : ModelRegistry.fromConfig(aegis.get("llm"));
                    WorkerConfig config = WorkerConfig.from(aegis).toBuilder()
                            .smcp(SmcpConfig.from(aegis, dataDir, System::getenv)).build();
                    KafkaSettings settings = kafka.withClientId("aegis-worker");
                    worker = options.runtime() == null ? WorkerService.start(config, settings, models)
                            : WorkerService.start(config, settings, models, options.runtime());
                    started.add(worker);
                }
                case WORKFLOW_ENGINE -> {
                    WorkflowEngineConfig config = WorkflowEngineConfig.read(aegis.get("workflows"));
                    KafkaSettings settings = kafka.withClientId("aegis-workflow-engine");
                    // start() closes the engine itself when it fails
                    engine = new WorkflowEngineService(settings, WorkflowEngineService.defaultApplicationId(settings),
                            dataDir.resolve("streams"), config).start(config.startTimeout(), options.onEngineFailure());
                    started.add(engine);
                    // the stimulus stages run beside the engine: the stream processing of the installation
                    stimuli = new StimulusService(kafka.withClientId("aegis-stimuli"), dataDir.resolve("streams"),
                            StimulusConfig.read(aegis.get("stimuli")), config.closeTimeout())
                            .start(config.startTimeout(), options.onEngineFailure());
                    started.add(stimuli);
                }
                case APPROVALS -> {
                    approvals = ApprovalService.start(ApprovalConfig.read(aegis.get("approvals")),
                            kafka.withClientId("aegis-approvals"), dataDir);
                    started.add(approvals);
                }
                case INGRESS -> {
                    // The ingress serves the readiness and dead letter counts of everything this process runs.
                    ComposedServices.Builder composed = ComposedServices.builder();
                    if (worker != null) {
                        composed.health(worker.health()).deadLetters(worker::deadLetters)
                                .metrics(worker.metricFamilies());
                    }
                    if (engine != null) {
                        WorkflowEngineService running = engine;
                        composed.health("workflow_engine", running::health).deadLetters(() -> Map.of(
                                WorkflowEngineService.CONSUMER, running.deadLettersWritten()));
                    }
                    if (stimuli != null) {
                        StimulusService running = stimuli;
                        composed.health("stimulus_service", running::health).deadLetters(running::deadLetters);
                    }
                    if (approvals != null) {
                        composed.route(ApprovalRoutes.PATH, new ApprovalRoutes(approvals))
                                .health(approvals.health()).deadLetters(approvals::deadLetters);
                    }
                    ingress = IngressServer.start(IngressConfig.from(aegis, dataDir),
                            kafka.withClientId("aegis-ingress"), composed.build());
                    started.add(ingress);
                }
            }
        }
    }

    /** The cluster every service uses (the embedded broker's address when there is one). */
    public KafkaSettings kafka() {
        return kafka;
    }

    public Path dataDir() {
        return dataDir;
    }

    /** The embedded broker, when this system started one. */
    public Optional<EmbeddedKafkaBroker> broker() {
        return Optional.ofNullable(broker);
    }

    /** The workers' models; only known when the system runs a worker. */
    public ModelRegistry models() {
        return require(models, Service.WORKER);
    }

    public WorkerService worker() {
        return require(worker, Service.WORKER);
    }

    public WorkflowEngineService engine() {
        return require(engine, Service.WORKFLOW_ENGINE);
    }

    public ApprovalService approvals() {
        return require(approvals, Service.APPROVALS);
    }

    public IngressServer ingress() {
        return require(ingress, Service.INGRESS);
    }

    private static <T> T require(T service, Service which) {
        if (service == null) {
            throw new IllegalStateException(which + " is not part of this system");
        }
        return service;
    }

    /** Closes every service, newest first; a failure to close one does not keep the others open. */
    @Override
    public void close() {
        started.close();
    }
}
