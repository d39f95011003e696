package ai.aegis.ingress.webhook;

import java.util.Arrays;
import java.util.stream.Collectors;

/** How a source signs its deliveries ({@code aegis.webhooks.sources.<name>.scheme}); see the package description. */
public enum WebhookScheme {

    /** {@code X-Aegis-Signature: sha256=<hex>}, HMAC-SHA256 over the body. The default. */
    AEGIS("aegis"),
    /** The same over {@code <X-Aegis-Timestamp>.<body>}, with a time window and a replay guard. */
    AEGIS_TIMESTAMPED("aegis-timestamped"),
    /** {@code webhook-id}, {@code webhook-timestamp}, {@code webhook-signature} (standardwebhooks.com, Svix). */
    STANDARD_WEBHOOKS("standard-webhooks");

    private final String configName;

    WebhookScheme(String configName) {
        this.configName = configName;
    }

    /** The name configuration uses. */
    public String configName() {
        return configName;
    }

    /** Whether deliveries carry a timestamp, so that they have a window and a replay guard. */
    public boolean timestamped() {
        return this != AEGIS;
    }

    /** @param key the configuration key the value came from, named in the error */
    public static WebhookScheme parse(String key, String value) {
        for (WebhookScheme s : values()) {
            if (s.configName.equals(value)) {
                return s;
            }
        }
        throw new IllegalArgumentException(key + ": unknown webhook scheme '" + value + "' (known: "
                + Arrays.stream(values()).map(WebhookScheme::configName).collect(Collectors.joining(", ")) + ")");
    }

    @Override
    public String toString() {
        return configName;
    }
}
