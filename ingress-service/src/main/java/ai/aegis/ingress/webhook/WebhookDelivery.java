package ai.aegis.ingress.webhook;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A verified delivery, ready to forward.
 *
 * @param source          the source name, lower-cased
 * @param scheme          the scheme it was verified with
 * @param idempotencyKey  the sender's key for this delivery: {@code webhook-id} (standard-webhooks) or
 *                        {@code X-Idempotency-Key} (the aegis schemes) when sent; retries of one delivery share it
 * @param content         the body: its text when it is valid UTF-8, else its base64
 * @param contentEncoding {@link #UTF_8} or {@link #BASE64}: how {@code content} holds the body
 * @param headers         the forwarded request headers (lower-cased names, allow-list order); never a signature
 *                        or a credential
 */
public record WebhookDelivery(String source, WebhookScheme scheme, Optional<String> idempotencyKey, String content,
                              String contentEncoding, Map<String, String> headers) {

    public static final String UTF_8 = "utf-8";
    public static final String BASE64 = "base64";

    public WebhookDelivery {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(scheme, "scheme");
        Objects.requireNonNull(idempotencyKey, "idempotencyKey");
        Objects.requireNonNull(content, "content");
        if (!UTF_8.equals(contentEncoding) && !BASE64.equals(contentEncoding)) {
            throw new IllegalArgumentException("contentEncoding must be utf-8 or base64");
        }
        headers = Collections.unmodifiableMap(new LinkedHashMap<>(headers));
    }

    /** True when {@code content} is the body's base64 (the body was not UTF-8 text). */
    public boolean base64() {
        return BASE64.equals(contentEncoding);
    }
}
