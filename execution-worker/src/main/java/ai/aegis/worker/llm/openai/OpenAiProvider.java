package ai.aegis.worker.llm.openai;

import ai.aegis.worker.llm.LlmException;
import ai.aegis.worker.llm.LlmProvider;
import ai.aegis.worker.llm.LlmRequest;
import ai.aegis.worker.llm.LlmResponse;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * A model behind an OpenAI-compatible chat-completions endpoint (OpenAI, vLLM, Ollama, llama.cpp, LM Studio).
 * Retries rate limits, server errors and I/O failures with exponential backoff; other client errors fail at once.
 */
public final class OpenAiProvider implements LlmProvider {

    public static final String TYPE = "openai";
    public static final String DEFAULT_ENDPOINT = "https://api.openai.com/v1";
    /** No single wait between attempts exceeds this, whatever the backoff or Retry-After says. */
    static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

    private static final System.Logger LOG = System.getLogger(OpenAiProvider.class.getName());

    /**
     * @param endpoint   base URL, e.g. {@code http://127.0.0.1:11434/v1}; {@code /chat/completions} is appended
     * @param apiKey     the resolved key (not a reference), or null for servers that need none
     * @param timeout    per-request timeout (one attempt)
     * @param maxRetries retries after the first attempt
     * @param retryDelay first backoff; doubles with each retry
     */
    public record Settings(String name, String endpoint, String apiKey, Duration timeout, int maxRetries,
                           Duration retryDelay) {

        public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(300);
        public static final int DEFAULT_MAX_RETRIES = 3;
        public static final Duration DEFAULT_RETRY_DELAY = Duration.ofMillis(1000);

        public Settings {
            Objects.requireNonNull(name, "name");
            endpoint = endpoint == null || endpoint.isBlank() ? DEFAULT_ENDPOINT : stripTrailingSlash(endpoint.strip());
            apiKey = apiKey == null || apiKey.isBlank() ? null : apiKey;
            timeout = timeout == null ? DEFAULT_TIMEOUT : timeout;
            retryDelay = retryDelay == null ? DEFAULT_RETRY_DELAY : retryDelay;
            if (maxRetries < 0) {
                throw new IllegalArgumentException("maxRetries must be >= 0, was " + maxRetries);
            }
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("timeout must be positive, was " + timeout);
            }
        }

        public Settings(String name, String endpoint, String apiKey) {
            this(name, endpoint, apiKey, DEFAULT_TIMEOUT, DEFAULT_MAX_RETRIES, DEFAULT_RETRY_DELAY);
        }

        /** Never prints the key: settings end up in logs and exception messages. */
        @Override
        public String toString() {
            return "Settings[name=" + name + ", endpoint=" + endpoint + ", apiKey=" + (apiKey == null ? "none" : "***")
                    + ", timeout=" + timeout + ", maxRetries=" + maxRetries + ", retryDelay=" + retryDelay + "]";
        }

        private static String stripTrailingSlash(String url) {
            String result = url;
            while (result.endsWith("/")) {
                result = result.substring(0, result.length() - 1);
            }
            return result;
        }
    }

    private final Settings settings;
    private final URI completionsUri;
    private final HttpClient http;

    public OpenAiProvider(Settings settings) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.completionsUri = URI.create(settings.endpoint() + "/chat/completions");
        // HTTP/1.1: local servers (llama.cpp, LM Studio) do not all cope with the h2c upgrade HTTP/2 would attempt.
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(settings.timeout().compareTo(Duration.ofSeconds(10)) < 0
                        ? settings.timeout() : Duration.ofSeconds(10))
                .build();
    }

    @Override
    public String name() {
        return settings.name();
    }

    @Override
    public String type() {
        return TYPE;
    }

    public Settings settings() {
        return settings;
    }

    @Override
    public LlmResponse chat(LlmRequest request) throws LlmException {
        Objects.requireNonNull(request, "request");
        HttpRequest httpRequest = httpRequest(OpenAiWire.requestBody(request));
        String lastFailure = "no attempt made";
        for (int attempt = 0; ; attempt++) {
            Duration wait;
            try {
                HttpResponse<String> response = http.send(httpRequest,
                        HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
                int status = response.statusCode();
                if (status >= 200 && status < 300) {
                    return OpenAiWire.parseResponse(name(), response.body(), request);
                }
                lastFailure = "HTTP " + status + ": " + redact(OpenAiWire.errorMessage(response.body()));
                if (status != 429 && status < 500) {
                    throw new LlmException(prefix() + lastFailure, false, null);
                }
                wait = retryAfter(response).orElse(backoff(attempt));
            } catch (IOException e) {
                // Includes HttpTimeoutException and refused connections: the server may come back.
                lastFailure = "I/O error: " + redact(String.valueOf(e.getMessage() != null ? e.getMessage()
                        : e.getClass().getSimpleName()));
                wait = backoff(attempt);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new LlmException(prefix() + "interrupted", false, e);
            }
            if (attempt >= settings.maxRetries()) {
                throw new LlmException(prefix() + lastFailure + " (after " + (attempt + 1) + " attempts)", true, null);
            }
            LOG.log(System.Logger.Level.WARNING, "{0}{1}; retry {2}/{3} in {4} ms", prefix(), lastFailure,
                    attempt + 1, settings.maxRetries(), wait.toMillis());
            pause(wait);
        }
    }

    private HttpRequest httpRequest(String body) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(completionsUri)
                .timeout(settings.timeout())
                .header("Content-Type", "application/json")
                .header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        if (settings.apiKey() != null) {
            builder.header("Authorization", "Bearer " + settings.apiKey());
        }
        return builder.build();
    }

    /** delay * 2^attempt, capped; computed without overflow for large attempt counts. */
    Duration backoff(int attempt) {
        long base = Math.max(0, settings.retryDelay().toMillis());
        long cap = MAX_BACKOFF.toMillis();
        long millis = base;
        for (int i = 0; i < attempt && millis < cap; i++) {
            millis *= 2;
        }
        return Duration.ofMillis(Math.min(millis, cap));
    }

    /** Retry-After in seconds (the HTTP-date form is ignored and the backoff used instead). */
    private static Optional<Duration> retryAfter(HttpResponse<?> response) {
        return response.headers().firstValue("Retry-After").flatMap(value -> {
            try {
                long seconds = Long.parseLong(value.strip());
                return seconds < 0 ? Optional.empty()
                        : Optional.of(Duration.ofSeconds(Math.min(seconds, MAX_BACKOFF.toSeconds())));
            } catch (NumberFormatException e) {
                return Optional.empty();
            }
        });
    }

    private void pause(Duration wait) throws LlmException {
        if (wait.isZero()) {
            return;
        }
        try {
            Thread.sleep(wait);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LlmException(prefix() + "interrupted while waiting to retry", false, e);
        }
    }

    /** Servers sometimes echo the presented key in their error text ("Incorrect API key provided: sk-..."). */
    private String redact(String text) {
        String key = settings.apiKey();
        return key == null || text == null ? text : text.replace(key, "***");
    }

    private String prefix() {
        return "openai provider '" + name() + "': ";
    }
}
