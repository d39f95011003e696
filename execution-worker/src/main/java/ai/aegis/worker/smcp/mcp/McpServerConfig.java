package ai.aegis.worker.smcp.mcp;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One configured MCP server: either a local process spoken to over stdio ({@code command}) or a remote
 * Streamable HTTP endpoint ({@code url}), never both.
 * <p>
 * {@code env} and {@code headers} values of the form {@code env:VAR} are references into the worker's environment,
 * resolved when the server is started so that the value never sits in configuration or in this record;
 * {@link #toString()} prints keys only, since a literal value may still be a secret.
 *
 * @param name            {@code [a-z0-9][a-z0-9_-]*}; the prefix of the server's qualified tool names
 * @param command         program and arguments of a stdio server, or empty
 * @param env             extra environment of the child (it inherits nothing but PATH, HOME and LANG)
 * @param workingDir      working directory of the child, or null for the worker's
 * @param url             the Streamable HTTP endpoint, or null
 * @param headers         extra HTTP headers sent with every request
 * @param timeout         the longest any one request (including start and initialise) may take
 * @param maxMessageBytes the largest message accepted from the server; a larger one is a protocol error
 */
public record McpServerConfig(String name, List<String> command, Map<String, String> env, Path workingDir, URI url,
                              Map<String, String> headers, Duration timeout, int maxMessageBytes) {

    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
    public static final int DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_-]*");

    public McpServerConfig {
        Objects.requireNonNull(name, "name");
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("MCP server name '" + name + "' must match " + NAME.pattern());
        }
        command = command == null ? List.of() : List.copyOf(command);
        env = env == null ? Map.of() : immutableOrdered(env);
        headers = headers == null ? Map.of() : immutableOrdered(headers);
        timeout = timeout == null ? DEFAULT_TIMEOUT : timeout;
        maxMessageBytes = maxMessageBytes == 0 ? DEFAULT_MAX_MESSAGE_BYTES : maxMessageBytes;
        if (command.isEmpty() == (url == null)) {
            throw new IllegalArgumentException("MCP server '" + name + "': exactly one of command or url is required");
        }
        if (command.stream().anyMatch(part -> part == null || part.isEmpty())) {
            throw new IllegalArgumentException("MCP server '" + name + "': command has an empty part");
        }
        if (url != null && !("http".equals(url.getScheme()) || "https".equals(url.getScheme()))) {
            throw new IllegalArgumentException("MCP server '" + name + "': url must be http or https");
        }
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("MCP server '" + name + "': timeout must be positive");
        }
        if (maxMessageBytes < 1024) {
            throw new IllegalArgumentException("MCP server '" + name + "': max message bytes must be at least 1024");
        }
    }

    /** A stdio server with the defaults. */
    public static Builder stdio(String name, List<String> command) {
        return new Builder(name).command(command);
    }

    /** A Streamable HTTP server with the defaults. */
    public static Builder http(String name, URI url) {
        return new Builder(name).url(url);
    }

    public boolean isStdio() {
        return !command.isEmpty();
    }

    @Override
    public String toString() {
        return "McpServerConfig[name=" + name + (isStdio() ? ", command=" + command : ", url=" + url)
                + ", env=" + env.keySet() + ", headers=" + headers.keySet() + ", timeout=" + timeout
                + ", maxMessageBytes=" + maxMessageBytes + "]";
    }

    private static Map<String, String> immutableOrdered(Map<String, String> map) {
        map.forEach((key, value) -> {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(value, () -> "value of " + key);
        });
        return Collections.unmodifiableMap(new LinkedHashMap<>(map));
    }

    public static final class Builder {
        private final String name;
        private List<String> command = List.of();
        private final Map<String, String> env = new LinkedHashMap<>();
        private URI url;
        private final Map<String, String> headers = new LinkedHashMap<>();
        private Duration timeout = DEFAULT_TIMEOUT;
        private int maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES;

        private Builder(String name) {
            this.name = name;
        }

        public Builder command(List<String> command) {
            this.command = new ArrayList<>(command);
            return this;
        }

        public Builder env(String key, String value) {
            env.put(key, value);
            return this;
        }

        public Builder url(URI url) {
            this.url = url;
            return this;
        }

        public Builder header(String key, String value) {
            headers.put(key, value);
            return this;
        }

        public Builder timeout(Duration timeout) {
            this.timeout = timeout;
            return this;
        }

        public Builder maxMessageBytes(int maxMessageBytes) {
            this.maxMessageBytes = maxMessageBytes;
            return this;
        }

        public McpServerConfig build() {
            return new McpServerConfig(name, command, env, null, url, headers, timeout, maxMessageBytes);
        }
    }
}
