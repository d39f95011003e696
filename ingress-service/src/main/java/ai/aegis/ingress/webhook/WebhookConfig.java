package ai.aegis.ingress.webhook;

import ai.aegis.schemas.stimulus.StimulusSources;
import io.helidon.config.Config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The webhook receiver's settings ({@code aegis.webhooks.*}), built with {@link #builder()}, which starts from the
 * {@code DEFAULT_*} values below (the configuration reads through it, so they are written once):
 * <pre>
 * aegis.webhooks:
 *   replay-guard-entries: 100000          signatures each node remembers for the replay guard (see
 *                                         {@link BoundedSeenSignatures}; a few hundred bytes each)
 *   forward-headers: [content-type, ...]  request headers passed on with a delivery (lower-cased; a list or a
 *                                         comma-separated string; at most 32 and 8 KiB are forwarded)
 *   sources:
 *     github:                             the source name, as in POST /v1/webhooks/github
 *       scheme: aegis                     aegis (default), aegis-timestamped or standard-webhooks
 *       secrets: "s1,s2"                  comma-separated; prefer the environment (below)
 *       tolerance-seconds: 300            the timestamped schemes' window, +- around the server's clock
 * </pre>
 * A source needs no entry here when the defaults suit it: its secrets then come from the environment variable
 * {@code AEGIS_WEBHOOK_SECRET_<SOURCE>} ({@link #environmentVariable}), which is where secrets should live. A source
 * whose entry names {@code secrets} uses those and ignores its variable (configuration first, then the
 * environment), so that a file that states its secrets means exactly those.
 *
 * @param replayGuardEntries the bound of each node's in-memory replay guard
 * @param forwardHeaders     lower-cased names of the request headers a delivery carries on, in this order; never
 *                           one of {@link #NEVER_FORWARDED}
 * @param sources            the configured sources by lower-cased name; the others get {@link Source#DEFAULT}
 */
public record WebhookConfig(int replayGuardEntries, List<String> forwardHeaders, Map<String, Source> sources) {

    /** The prefix of the environment variable holding a source's secrets. */
    public static final String SECRET_VARIABLE_PREFIX = "AEGIS_WEBHOOK_SECRET_";

    public static final int DEFAULT_REPLAY_GUARD_ENTRIES = 100_000;
    public static final List<String> DEFAULT_FORWARD_HEADERS = List.of("content-type", "user-agent",
            "x-github-event", "x-github-delivery", "x-gitlab-event", "x-request-id", "webhook-id");
    public static final WebhookScheme DEFAULT_SCHEME = WebhookScheme.AEGIS;
    /** What the Standard Webhooks specification recommends, and what the aegis schemes use too. */
    public static final Duration DEFAULT_TOLERANCE = Duration.ofSeconds(300);
    /** The longest window: past it a stolen delivery would stay replayable on a node that forgot it. */
    public static final Duration MAX_TOLERANCE = Duration.ofDays(1);
    /** Headers a delivery carries on, at most (the allow-list may name more: the first present ones win). */
    public static final int MAX_FORWARDED_HEADERS = 32;
    /** Bytes of forwarded names and values (UTF-8), at most. */
    public static final int MAX_FORWARDED_HEADER_BYTES = 8 * 1024;
    /** Credentials and signatures: never forwarded, so {@code forward-headers} may not name them. */
    public static final Set<String> NEVER_FORWARDED = Set.of("authorization", "proxy-authorization", "cookie",
            "x-aegis-signature", "webhook-signature", "x-hub-signature", "x-hub-signature-256", "x-gitlab-token");

    private static final String KEY = "aegis.webhooks";
    private static final List<String> SOURCE_KEYS = List.of("scheme", "secrets", "tolerance-seconds");

    /**
     * One source's settings.
     *
     * @param scheme    how its deliveries are signed
     * @param secrets   the secrets from configuration, any of which may have signed a delivery; empty: the
     *                  environment's ({@code AEGIS_WEBHOOK_SECRET_<SOURCE>})
     * @param tolerance how far a timestamped delivery's time may be from the server's clock, either way
     */
    public record Source(WebhookScheme scheme, List<String> secrets, Duration tolerance) {

        /** A source without configuration: {@code aegis}, the environment's secrets, the default window. */
        public static final Source DEFAULT = new Source(DEFAULT_SCHEME, List.of(), DEFAULT_TOLERANCE);

        public Source {
            Objects.requireNonNull(scheme, "scheme");
            Objects.requireNonNull(tolerance, "tolerance");
            secrets = List.copyOf(secrets);
            if (tolerance.getSeconds() < 1 || tolerance.compareTo(MAX_TOLERANCE) > 0) {
                throw new IllegalArgumentException("tolerance-seconds must be from 1 to " + MAX_TOLERANCE.toSeconds());
            }
            for (String s : secrets) {
                if (s.isBlank() || s.contains(",")) {
                    throw new IllegalArgumentException("secrets must be non-blank and hold no comma");
                }
                if (scheme == WebhookScheme.STANDARD_WEBHOOKS && WebhookKeys.standardWebhooksKey(s).isEmpty()) {
                    // the value stays out of the message
                    throw new IllegalArgumentException("a standard-webhooks secret must be whsec_<base64> (or the "
                            + "base64 alone) of at least one byte");
                }
            }
        }

        public static Source of(WebhookScheme scheme) {
            return new Source(scheme, List.of(), DEFAULT_TOLERANCE);
        }

        public Source withSecrets(String... secrets) {
            return new Source(scheme, List.of(secrets), tolerance);
        }

        public Source withTolerance(Duration tolerance) {
            return new Source(scheme, secrets, tolerance);
        }

        /** Says how many secrets there are, never what they are. */
        @Override
        public String toString() {
            return "Source[scheme=" + scheme + ", secrets=" + secrets.size() + " (redacted), tolerance="
                    + tolerance + "]";
        }
    }

    public WebhookConfig {
        if (replayGuardEntries < 1) {
            throw new IllegalArgumentException(KEY + ".replay-guard-entries must be at least 1");
        }
        LinkedHashSet<String> names = new LinkedHashSet<>();
        for (String h : forwardHeaders) {
            String name = h.trim().toLowerCase(Locale.ROOT);
            if (name.isEmpty() || name.chars().anyMatch(c -> c <= ' ' || c == ':' || c >= 127)) {
                throw new IllegalArgumentException(KEY + ".forward-headers: '" + h + "' is not a header name");
            }
            if (NEVER_FORWARDED.contains(name)) {
                throw new IllegalArgumentException(KEY + ".forward-headers may not name " + name
                        + " (credentials and signatures are never forwarded)");
            }
            names.add(name);
        }
        forwardHeaders = List.copyOf(names);
        Map<String, Source> byName = new LinkedHashMap<>();
        sources.forEach((name, source) -> {
            String n = StimulusSources.normalise(name);
            if (byName.put(n, Objects.requireNonNull(source, "source " + n)) != null) {
                throw new IllegalArgumentException(KEY + ".sources names " + n + " twice (names ignore case)");
            }
        });
        sources = Collections.unmodifiableMap(byName);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** @param aegis the {@code aegis} node (any key may be missing: its default applies) */
    public static WebhookConfig from(Config aegis) {
        Config in = aegis.get("webhooks");
        Builder b = builder();
        in.get("replay-guard-entries").asInt().ifPresent(b::replayGuardEntries);
        Config forward = in.get("forward-headers");
        if (forward.exists()) {
            b.forwardHeaders(commaList(forward));
        }
        Set<String> seen = new HashSet<>();
        for (Config node : in.get("sources").asNodeList().orElse(List.of())) {
            String key = KEY + ".sources." + node.name();
            String name;
            try {
                name = StimulusSources.normalise(node.name());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(key + ": " + e.getMessage(), e);
            }
            if (!seen.add(name)) {
                throw new IllegalArgumentException(key + ": the source is named twice (names ignore case)");
            }
            for (Config child : node.asNodeList().orElse(List.of())) {
                if (!SOURCE_KEYS.contains(child.name())) {
                    throw new IllegalArgumentException(key + "." + child.name() + " is not a setting (known: "
                            + String.join(", ", SOURCE_KEYS) + ")");
                }
            }
            WebhookScheme scheme = node.get("scheme").asString()
                    .map(s -> WebhookScheme.parse(key + ".scheme", s.trim())).orElse(DEFAULT_SCHEME);
            Duration tolerance = node.get("tolerance-seconds").asLong().map(Duration::ofSeconds)
                    .orElse(DEFAULT_TOLERANCE);
            try {
                b.source(name, new Source(scheme, commaList(node.get("secrets")), tolerance));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(key + ": " + e.getMessage(), e);
            }
        }
        return b.build();
    }

    /** A builder holding these settings, to change some of them. */
    public Builder toBuilder() {
        return new Builder().replayGuardEntries(replayGuardEntries).forwardHeaders(forwardHeaders).sources(sources);
    }

    /** The settings of the source named {@code normalisedName} ({@link StimulusSources#normalise}): its own or the default. */
    public Source source(String normalisedName) {
        return sources.getOrDefault(normalisedName, Source.DEFAULT);
    }


    /**
     * The environment variable holding a source's secrets: {@code AEGIS_WEBHOOK_SECRET_} and the name upper-cased,
     * {@code -} and {@code .} becoming {@code _} ({@code git-hub.v2}: {@code AEGIS_WEBHOOK_SECRET_GIT_HUB_V2}).
     * Names differing only there ({@code a-b}, {@code a.b}, {@code a_b}) share one variable.
     */
    public static String environmentVariable(String source) {
        return SECRET_VARIABLE_PREFIX + StimulusSources.normalise(source).toUpperCase(Locale.ROOT).replace('-', '_')
                .replace('.', '_');
    }

    /** A list or a comma-separated string (each element may itself be one), trimmed, without empty parts. */
    private static List<String> commaList(Config node) {
        List<String> raw = node.type() == Config.Type.LIST
                ? node.asList(String.class).orElse(List.of())
                : node.asString().map(List::of).orElse(List.of());
        return splitCommas(raw);
    }

    static List<String> splitCommas(List<String> values) {
        List<String> out = new ArrayList<>();
        for (String v : values) {
            for (String part : v.split(",")) {
                String p = part.trim();
                if (!p.isEmpty()) {
                    out.add(p);
                }
            }
        }
        return out;
    }

    /** Starts from every default. */
    public static final class Builder {

        private int replayGuardEntries = DEFAULT_REPLAY_GUARD_ENTRIES;
        private List<String> forwardHeaders = DEFAULT_FORWARD_HEADERS;
        private final Map<String, Source> sources = new LinkedHashMap<>();

        private Builder() {
        }

        public Builder replayGuardEntries(int replayGuardEntries) {
            this.replayGuardEntries = replayGuardEntries;
            return this;
        }

        public Builder forwardHeaders(List<String> forwardHeaders) {
            this.forwardHeaders = List.copyOf(forwardHeaders);
            return this;
        }

        /** Adds (or replaces) one source; the name is normalised ({@link StimulusSources#normalise}). */
        public Builder source(String name, Source source) {
            sources.put(StimulusSources.normalise(name), Objects.requireNonNull(source, "source"));
            return this;
        }

        /** Replaces every source. */
        public Builder sources(Map<String, Source> sources) {
            this.sources.clear();
            sources.forEach(this::source);
            return this;
        }

        public WebhookConfig build() {
            return new WebhookConfig(replayGuardEntries, forwardHeaders, sources);
        }
    }
}
