package ai.aegis.ingress.webhook;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;

/**
 * Each source's secrets as {@link HmacKey}s: from its configuration when that names {@code secrets}, else from
 * {@code AEGIS_WEBHOOK_SECRET_<SOURCE>}; several, comma-separated, while a secret is rotated. Resolved at a source's
 * first delivery and kept (a process's environment does not change). A name with neither is looked up again at
 * every delivery and not kept, so that requests for made-up sources cannot grow the cache.
 */
final class WebhookKeys {

    private static final System.Logger LOG = System.getLogger(WebhookKeys.class.getName());
    private static final String STANDARD_WEBHOOKS_PREFIX = "whsec_";

    private final WebhookConfig config;
    private final Function<String, String> environment;
    private final ConcurrentHashMap<String, List<HmacKey>> bySource = new ConcurrentHashMap<>();
    private final LongAdder macLookups = new LongAdder();

    /** @param environment an environment variable's value by name, or null ({@code System::getenv}) */
    WebhookKeys(WebhookConfig config, Function<String, String> environment) {
        this.config = config;
        this.environment = environment;
    }

    /** The keys of a normalised source name; empty when it has no usable secret. */
    List<HmacKey> keys(String source) {
        List<HmacKey> known = bySource.get(source);
        if (known != null) {
            return known;
        }
        // computeIfAbsent: concurrent first deliveries build the keys once; null (no secret at all) is not kept
        List<HmacKey> resolved = bySource.computeIfAbsent(source, this::resolve);
        return resolved != null ? resolved : List.of();
    }

    private List<HmacKey> resolve(String source) {
        WebhookConfig.Source settings = config.source(source);
        List<String> secrets;
        String origin;
        if (!settings.secrets().isEmpty()) {
            secrets = settings.secrets();
            origin = "aegis.webhooks.sources." + source + ".secrets";
        } else {
            origin = WebhookConfig.environmentVariable(source);
            String value = environment.apply(origin);
            if (value == null) {
                return null;
            }
            secrets = WebhookConfig.splitCommas(List.of(value));
        }
        List<HmacKey> keys = new ArrayList<>();
        for (int i = 0; i < secrets.size(); i++) {
            Optional<byte[]> key = settings.scheme() == WebhookScheme.STANDARD_WEBHOOKS
                    ? standardWebhooksKey(secrets.get(i))
                    : Optional.of(secrets.get(i).getBytes(StandardCharsets.UTF_8));
            if (key.isPresent()) {
                keys.add(new HmacKey(key.get(), macLookups));
            } else {
                // only configuration checks its secrets at start; the environment's are checked here, once
                LOG.log(System.Logger.Level.WARNING, "webhook source " + source + ": secret " + (i + 1) + " of "
                        + origin + " is not whsec_<base64>, ignored");
            }
        }
        return List.copyOf(keys);
    }

    /** {@code Mac.getInstance} calls so far: one per secret when cloning works (see {@link HmacKey}). */
    long macLookups() {
        return macLookups.sum();
    }

    /**
     * A Standard Webhooks secret's HMAC key: the base64 after {@code whsec_}. A secret without the prefix is taken
     * as the base64 alone (some senders show it that way), not as text: Svix's libraries do the same.
     */
    static Optional<byte[]> standardWebhooksKey(String secret) {
        String b64 = secret.startsWith(STANDARD_WEBHOOKS_PREFIX)
                ? secret.substring(STANDARD_WEBHOOKS_PREFIX.length()) : secret;
        try {
            byte[] key = Base64.getDecoder().decode(b64);
            return key.length == 0 ? Optional.empty() : Optional.of(key);
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
