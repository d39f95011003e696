package ai.aegis.worker.smcp;

import ai.aegis.worker.smcp.mcp.McpConfigReader;
import ai.aegis.worker.smcp.mcp.McpServerConfig;
import ai.aegis.worker.smcp.policy.SecurityContextConfigReader;
import ai.aegis.worker.smcp.policy.SecurityContexts;
import io.helidon.config.Config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * SMCP settings of a worker ({@code aegis.smcp.*}); the defaults are written once, in {@link Builder}.
 *
 * @param enabled                sandboxes attest and sign their tool calls ({@code bootstrap.py} is told so); off,
 *                               the inner loop still applies the same policy and routing to every call
 * @param issuer                 the tokens' {@code iss}
 * @param audience               the tokens' {@code aud}
 * @param tokenTtl               how long a token is good for (a session ends earlier when its iteration does)
 * @param signingKeyFile         the orchestrator's signing key (PKCS#8 PEM or private JWK); created (0600) when absent;
 *                               null: a key that lives as long as the process
 * @param defaultSecurityContext the context of an agent whose manifest names none
 * @param clockSkew              how far an envelope's timestamp may be from now
 * @param replayCacheEntries     signatures remembered to refuse replays (within the skew window)
 * @param rememberedSessions     sessions of the topic a node keeps in its view
 * @param rateLimiterEntries     rate-limit buckets kept (per session and capability)
 * @param securityContexts       the shipped contexts with the configured ones over them
 * @param mcpServers             MCP servers whose tools agents may be given
 */
public record SmcpConfig(boolean enabled, String issuer, String audience, Duration tokenTtl, Path signingKeyFile,
                         String defaultSecurityContext, Duration clockSkew, int replayCacheEntries,
                         int rememberedSessions, int rateLimiterEntries, SecurityContexts securityContexts,
                         List<McpServerConfig> mcpServers) {

    public static final String DEFAULT_ISSUER = "aegis-orchestrator";
    public static final String DEFAULT_AUDIENCE = "aegis-agents";
    public static final String DEFAULT_CONTEXT = "default";
    /** The key file's name under the data directory when none is configured. */
    public static final String KEY_FILE_NAME = "smcp-signing-key.jwk";

    public SmcpConfig {
        Objects.requireNonNull(issuer, "issuer");
        Objects.requireNonNull(audience, "audience");
        Objects.requireNonNull(securityContexts, "securityContexts");
        mcpServers = List.copyOf(mcpServers);
        if (securityContexts.get(defaultSecurityContext).isEmpty()) {
            throw new IllegalArgumentException("aegis.smcp.default-security-context '" + defaultSecurityContext
                    + "' is not a security context (configured or shipped)");
        }
        if (tokenTtl.isNegative() || tokenTtl.isZero()) {
            throw new IllegalArgumentException("aegis.smcp.token-ttl-seconds must be positive");
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder().enabled(enabled).issuer(issuer).audience(audience).tokenTtl(tokenTtl)
                .signingKeyFile(signingKeyFile).defaultSecurityContext(defaultSecurityContext).clockSkew(clockSkew)
                .replayCacheEntries(replayCacheEntries).rememberedSessions(rememberedSessions)
                .rateLimiterEntries(rateLimiterEntries).securityContexts(securityContexts).mcpServers(mcpServers);
    }

    /**
     * Reads {@code aegis.smcp}.
     *
     * @param dataDir where the signing key is kept when none is configured (null: an ephemeral key)
     */
    public static SmcpConfig from(Config aegis, Path dataDir, Function<String, String> env) {
        Config s = aegis.get("smcp");
        Builder b = builder();
        s.get("enabled").asBoolean().ifPresent(b::enabled);
        s.get("issuer").asString().ifPresent(b::issuer);
        s.get("audience").asString().ifPresent(b::audience);
        s.get("token-ttl-seconds").asLong().map(Duration::ofSeconds).ifPresent(b::tokenTtl);
        b.signingKeyFile(s.get("signing-key-file").asString().map(Path::of)
                .orElse(dataDir == null ? null : dataDir.resolve(KEY_FILE_NAME)));
        s.get("default-security-context").asString().ifPresent(b::defaultSecurityContext);
        s.get("clock-skew-seconds").asLong().map(Duration::ofSeconds).ifPresent(b::clockSkew);
        s.get("replay-cache-entries").asInt().ifPresent(b::replayCacheEntries);
        s.get("remembered-sessions").asInt().ifPresent(b::rememberedSessions);
        s.get("rate-limiter-entries").asInt().ifPresent(b::rateLimiterEntries);
        b.securityContexts(SecurityContextConfigReader.read(s));
        b.mcpServers(McpConfigReader.read(s, env));
        return b.build();
    }

    public static final class Builder {
        private boolean enabled = true;
        private String issuer = DEFAULT_ISSUER;
        private String audience = DEFAULT_AUDIENCE;
        private Duration tokenTtl = Duration.ofHours(1);
        private Path signingKeyFile;
        private String defaultSecurityContext = DEFAULT_CONTEXT;
        private Duration clockSkew = Duration.ofSeconds(30);
        // a signature is kept ~30 s (the skew): room for ~20 000 calls/s, twice what one worker verifies; ~60 MB full
        private int replayCacheEntries = 600_000;
        private int rememberedSessions = 10_000;
        private int rateLimiterEntries = 10_000;
        private SecurityContexts securityContexts = SecurityContexts.defaults();
        private List<McpServerConfig> mcpServers = List.of();

        private Builder() {
        }

        public Builder enabled(boolean v) {
            enabled = v;
            return this;
        }

        public Builder issuer(String v) {
            issuer = v;
            return this;
        }

        public Builder audience(String v) {
            audience = v;
            return this;
        }

        public Builder tokenTtl(Duration v) {
            tokenTtl = v;
            return this;
        }

        public Builder signingKeyFile(Path v) {
            signingKeyFile = v;
            return this;
        }

        public Builder defaultSecurityContext(String v) {
            defaultSecurityContext = v;
            return this;
        }

        public Builder clockSkew(Duration v) {
            clockSkew = v;
            return this;
        }

        public Builder replayCacheEntries(int v) {
            replayCacheEntries = v;
            return this;
        }

        public Builder rememberedSessions(int v) {
            rememberedSessions = v;
            return this;
        }

        public Builder rateLimiterEntries(int v) {
            rateLimiterEntries = v;
            return this;
        }

        public Builder securityContexts(SecurityContexts v) {
            securityContexts = v;
            return this;
        }

        public Builder mcpServers(List<McpServerConfig> v) {
            mcpServers = v;
            return this;
        }

        public SmcpConfig build() {
            return new SmcpConfig(enabled, issuer, audience, tokenTtl, signingKeyFile, defaultSecurityContext,
                    clockSkew, replayCacheEntries, rememberedSessions, rateLimiterEntries, securityContexts,
                    mcpServers);
        }
    }
}
