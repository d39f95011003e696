package ai.aegis.worker.llm;

import ai.aegis.worker.llm.ChatCompletionsStub.Answer;
import ai.aegis.worker.llm.openai.OpenAiProvider;
import ai.aegis.worker.llm.scripted.ScriptedProvider;
import io.helidon.common.media.type.MediaTypes;
import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import io.helidon.config.EnvironmentVariables;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ModelRegistryTest {

    private static final String KEY = "sk-from-env-42";
    private static final Function<String, String> ENV = Map.of("TEST_OPENAI_KEY", KEY)::get;

    private ChatCompletionsStub stub;

    @BeforeEach
    void startStub() throws IOException {
        stub = new ChatCompletionsStub();
    }

    @AfterEach
    void stopStub() {
        stub.close();
    }

    private static Config yaml(String text) {
        return Config.just(ConfigSources.create(text, MediaTypes.APPLICATION_X_YAML)).get("aegis.llm");
    }

    private String bothProviders() {
        return """
                aegis:
                  llm:
                    providers:
                      - name: local
                        type: openai
                        endpoint: %s
                        api-key: env:TEST_OPENAI_KEY
                        timeout-seconds: 20
                        max-retries: 1
                        retry-delay-ms: 5
                        models:
                          - alias: default
                            model: llama3.1
                          - alias: smart
                            model: llama3.1:70b
                      - name: scripted
                        type: scripted
                        models: [{alias: demo, model: hello}]
                        scripts:
                          hello:
                            - tool_call: {name: cmd.run, arguments: {command: "uname -a"}}
                            - reply: "The sandbox said: {{last_tool_stdout}}"
                """.formatted(stub.baseUrl());
    }

    @Test
    void readsBothProviderTypesFromYaml() throws Exception {
        ModelRegistry registry = LlmConfigReader.read(yaml(bothProviders()), ENV);

        assertThat(registry.usesScriptedExample()).isFalse();
        assertThat(registry.models().keySet()).containsExactly("default", "smart", "demo");
        ResolvedModel local = registry.resolve("smart");
        assertThat(local.model()).isEqualTo("llama3.1:70b");
        assertThat(local.provider()).isInstanceOf(OpenAiProvider.class);
        OpenAiProvider.Settings settings = ((OpenAiProvider) local.provider()).settings();
        assertThat(settings.timeout()).isEqualTo(Duration.ofSeconds(20));
        assertThat(settings.maxRetries()).isEqualTo(1);
        assertThat(settings.retryDelay()).isEqualTo(Duration.ofMillis(5));
        assertThat(registry.resolve(null).model()).as("no alias means default").isEqualTo("llama3.1");
        assertThat(registry.describe()).contains("default -> local (openai) model llama3.1")
                .contains("demo -> scripted (scripted) model hello").doesNotContain(KEY);

        // The resolved OpenAI model really talks to the endpoint, with the key read from the env reference.
        stub.answer(Answer.json(200, ChatCompletionsStub.finalAnswer("llama3.1", "hi", 4, 1)));
        LlmResponse answer = local.provider().chat(new LlmRequest(local.model(), List.of(ChatMessage.user("hi")),
                List.of()));
        assertThat(answer.content()).isEqualTo("hi");
        assertThat(stub.received().getFirst().authorization()).isEqualTo("Bearer " + KEY);
        assertThat(stub.received().getFirst().body().path("model").asText()).isEqualTo("llama3.1:70b");

        // The YAML script drives the scripted alias.
        ResolvedModel demo = registry.resolve("demo");
        assertThat(demo.provider()).isInstanceOf(ScriptedProvider.class);
        List<ChatMessage> conversation = new ArrayList<>(List.of(ChatMessage.user("go")));
        LlmResponse call = demo.provider().chat(new LlmRequest(demo.model(), conversation, List.of()));
        assertThat(call.toolCalls().getFirst().name()).isEqualTo("cmd.run");
        assertThat(call.toolCalls().getFirst().arguments().path("command").asText()).isEqualTo("uname -a");
        conversation.add(ChatMessage.assistantToolCalls(null, call.toolCalls()));
        conversation.add(ChatMessage.tool(call.toolCalls().getFirst().id(), "{\"exit_code\":0,\"stdout\":\"Linux box\\n\"}"));
        assertThat(demo.provider().chat(new LlmRequest(demo.model(), conversation, List.of())).content())
                .isEqualTo("The sandbox said: Linux box");
    }

    @Test
    void unknownAliasNamesTheConfiguredOnes() {
        ModelRegistry registry = LlmConfigReader.read(yaml(bothProviders()), ENV);

        assertThatThrownBy(() -> registry.resolve("judge"))
                .isInstanceOf(LlmException.class)
                .hasMessage("unknown model alias 'judge' (configured: default, smart, demo)");
    }

    @Test
    void emptyConfigurationUsesTheScriptedExample() throws Exception {
        ModelRegistry registry = LlmConfigReader.read(Config.empty().get("aegis.llm"), ENV);

        assertThat(registry.usesScriptedExample()).isTrue();
        assertThat(registry.describe()).startsWith("no LLM provider configured: using the scripted example model")
                .contains("AEGIS_LLM_OPENAI_BASE_URL");
        ResolvedModel model = registry.resolve("default");
        assertThat(model.provider().type()).isEqualTo("scripted");
        List<ChatMessage> conversation = new ArrayList<>(List.of(ChatMessage.user("hello")));
        LlmResponse first = model.provider().chat(new LlmRequest(model.model(), conversation, List.of()));
        assertThat(first.toolCalls().getFirst().name()).isEqualTo("cmd.run");
        assertThat(first.toolCalls().getFirst().arguments().path("command").asText())
                .isEqualTo("uname -sr");
        conversation.add(ChatMessage.assistantToolCalls(null, first.toolCalls()));
        conversation.add(ChatMessage.tool(first.toolCalls().getFirst().id(),
                "{\"exit_code\":0,\"stdout\":\"Linux 6.1\\n\",\"stderr\":\"\"}"));
        assertThat(model.provider().chat(new LlmRequest(model.model(), conversation, List.of())).content())
                .isEqualTo("The sandbox says: Hello from the Aegis sandbox: Linux 6.1");
        assertThatThrownBy(() -> registry.resolve("smart")).hasMessageContaining("configured: default");
    }

    @Test
    void theDocumentedEnvironmentVariablesSwitchDefaultToARealModel() throws Exception {
        // Exactly the mapping Helidon applies to the process environment (Config.create() uses it).
        Map<String, String> env = EnvironmentVariables.expand(Map.of(
                "AEGIS_LLM_OPENAI_BASE_URL", stub.baseUrl(),
                "AEGIS_LLM_OPENAI_API_KEY", "env:TEST_OPENAI_KEY",
                "AEGIS_LLM_OPENAI_MODEL", "gpt-4o-mini"));
        Config config = Config.just(ConfigSources.create(env), ConfigSources.create(bothProviders(),
                MediaTypes.APPLICATION_X_YAML)).get("aegis.llm");

        ModelRegistry registry = LlmConfigReader.read(config, ENV);

        ResolvedModel model = registry.resolve("default");
        assertThat(model.provider().name()).isEqualTo("openai");
        assertThat(model.model()).isEqualTo("gpt-4o-mini");
        assertThat(registry.resolve("smart").provider().name()).as("other aliases keep their provider")
                .isEqualTo("local");
        assertThat(registry.describe()).contains("default -> openai (openai) model gpt-4o-mini")
                .contains("ignored duplicate aliases: default of provider local (shadowed by openai)");
        stub.answer(Answer.json(200, ChatCompletionsStub.finalAnswer("gpt-4o-mini", "real", 1, 1)));
        model.provider().chat(new LlmRequest(model.model(), List.of(ChatMessage.user("x")), List.of()));
        assertThat(stub.received().getFirst().authorization()).isEqualTo("Bearer " + KEY);
    }

    @Test
    void theEnvironmentOverridesTheShortcutInTheFile() throws Exception {
        Config config = Config.just(
                ConfigSources.create(EnvironmentVariables.expand(Map.of("AEGIS_LLM_OPENAI_BASE_URL", stub.baseUrl()))),
                ConfigSources.create("""
                        aegis:
                          llm:
                            openai:
                              base-url: http://127.0.0.1:9/v1
                              model: from-file
                        """, MediaTypes.APPLICATION_X_YAML)).get("aegis.llm");

        ResolvedModel model = LlmConfigReader.read(config, ENV).resolve("default");

        assertThat(((OpenAiProvider) model.provider()).settings().endpoint()).isEqualTo(stub.baseUrl());
        assertThat(model.model()).isEqualTo("from-file");
    }

    @Test
    void fromConfigReadsKeysFromTheProcessEnvironment() throws Exception {
        ModelRegistry registry = ModelRegistry.fromConfig(yaml("""
                aegis:
                  llm:
                    openai: {base-url: "%s", model: m, api-key: "env:PATH"}
                """.formatted(stub.baseUrl())));

        assertThat(((OpenAiProvider) registry.resolve("default").provider()).settings().apiKey())
                .isEqualTo(System.getenv("PATH").strip());
    }

    @Test
    void theShortcutAloneServesOnlyDefault() {
        Config config = yaml("""
                aegis:
                  llm:
                    openai:
                      base-url: %s
                      model: gpt-4o-mini
                """.formatted(stub.baseUrl()));

        ModelRegistry registry = LlmConfigReader.read(config, ENV);

        assertThat(registry.models().keySet()).containsExactly("default");
        assertThat(registry.usesScriptedExample()).isFalse();
        assertThatThrownBy(() -> registry.resolve("judge")).hasMessageContaining("unknown model alias 'judge'");
    }

    @Test
    void aMissingKeyVariableIsAStartupErrorNamingIt() {
        Config config = yaml("""
                aegis:
                  llm:
                    openai:
                      base-url: http://127.0.0.1:9/v1
                      model: m
                      api-key: env:NOT_SET_ANYWHERE
                """);

        assertThatThrownBy(() -> LlmConfigReader.read(config, ENV))
                .isInstanceOf(LlmConfigException.class)
                .hasMessageContaining("NOT_SET_ANYWHERE").hasMessageContaining("not set");
    }

    @Test
    void literalKeysAreRefusedUnlessAllowed() {
        String literal = "sk-literal-should-not-be-echoed";
        String yaml = """
                aegis:
                  llm:
                    %s
                    providers:
                      - name: cloud
                        type: openai
                        api-key: %s
                        models: [{alias: default, model: gpt-4o}]
                """;

        assertThatThrownBy(() -> LlmConfigReader.read(yaml(yaml.formatted("", literal)), ENV))
                .isInstanceOf(LlmConfigException.class)
                .hasMessageContaining("env:").hasMessageNotContaining(literal);
        ModelRegistry allowed = LlmConfigReader.read(yaml(yaml.formatted("allow-literal-api-keys: true", literal)), ENV);
        OpenAiProvider provider = (OpenAiProvider) allowed.models().get("default").provider();
        assertThat(provider.settings().apiKey()).isEqualTo(literal);
        assertThat(provider.settings().endpoint()).isEqualTo(OpenAiProvider.DEFAULT_ENDPOINT);
    }

    @Test
    void unusableProviderEntriesFailAtStartup() {
        assertThatThrownBy(() -> LlmConfigReader.read(yaml("""
                aegis:
                  llm:
                    providers: [{name: a, type: gemini, models: [{alias: default, model: x}]}]
                """), ENV)).isInstanceOf(LlmConfigException.class).hasMessageContaining("unknown type 'gemini'");
        assertThatThrownBy(() -> LlmConfigReader.read(yaml("""
                aegis:
                  llm:
                    openai: {base-url: "http://127.0.0.1:9/v1"}
                """), ENV)).isInstanceOf(LlmConfigException.class).hasMessageContaining("AEGIS_LLM_OPENAI_MODEL");
        assertThatThrownBy(() -> LlmConfigReader.read(yaml("""
                aegis:
                  llm:
                    providers:
                      - {name: s, type: scripted, models: [{alias: default, model: x}], scripts: {x: [{say: hi}]}}
                """), ENV)).isInstanceOf(LlmConfigException.class).hasMessageContaining("unknown script step 'say'");
    }

    @Test
    void disabledProvidersAreSkipped() {
        ModelRegistry registry = LlmConfigReader.read(yaml("""
                aegis:
                  llm:
                    providers:
                      - {name: off, type: openai, enabled: false, api-key: env:MISSING, models: [{alias: default, model: x}]}
                      - {name: s, type: scripted, models: [{alias: judge, model: j}], scripts: {j: [{reply: "PASS"}]}}
                """), ENV);

        assertThat(registry.models().keySet()).containsExactly("judge");
    }
}
