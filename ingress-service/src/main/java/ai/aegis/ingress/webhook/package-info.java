/**
 * Webhook signature verification: pure logic, no HTTP. A route ({@code POST /v1/webhooks/{source}}) hands
 * {@link ai.aegis.ingress.webhook.WebhookVerifier#verify} the source name (the path segment), the headers and the
 * raw body bytes, and forwards the {@link ai.aegis.ingress.webhook.WebhookDelivery} it gets, or answers the
 * {@link ai.aegis.ingress.webhook.WebhookRefusal} it catches.
 *
 * <h2>Secrets</h2>
 * Each source (its name lower-cased) has one or more secrets: {@code aegis.webhooks.sources.<name>.secrets} if the
 * configuration names them, else the environment variable {@code AEGIS_WEBHOOK_SECRET_<SOURCE>} (the name
 * upper-cased, {@code -} and {@code .} as {@code _}), which is the place to prefer: files get copied and committed.
 * Several comma-separated secrets are for rotation: a delivery signed with any of them passes. A source without any
 * is refused with {@code secret_not_found}.
 *
 * <h2>Schemes</h2> (per source, {@code aegis.webhooks.sources.<name>.scheme})
 * <ul>
 *   <li>{@code aegis}, the default: {@code X-Aegis-Signature: sha256=<hex>}, the HMAC-SHA256 of the body with the
 *       secret's UTF-8 bytes as key. No timestamp, so no replay guard: a captured delivery can be sent again at
 *       any time, and only the downstream deduplication by idempotency key stops it. Prefer the next one.</li>
 *   <li>{@code aegis-timestamped}: also {@code X-Aegis-Timestamp: <unix seconds>}, and the HMAC covers
 *       {@code <timestamp>.<body>}; the timestamp must be within the source's tolerance (default +-300 s) of the
 *       server's clock, and each signature passes once while inside that window.</li>
 *   <li>{@code standard-webhooks} (<a href="https://www.standardwebhooks.com/">standardwebhooks.com</a>, what Svix
 *       and its users send): {@code webhook-id}, {@code webhook-timestamp} and {@code webhook-signature}, a
 *       space-separated list of {@code v1,<base64>} entries (other versions are skipped), each the HMAC-SHA256 of
 *       {@code <id>.<timestamp>.<body>} keyed with the base64-decoded part of a {@code whsec_<base64>} secret (a
 *       secret without the prefix is decoded as base64 too). The same window, and each (id, timestamp) passes
 *       once within it; {@code webhook-id} is the delivery's idempotency key.</li>
 * </ul>
 * For the aegis schemes the idempotency key is the optional {@code X-Idempotency-Key} header, which the signature
 * does not cover.
 *
 * <p>The replay guard ({@link ai.aegis.ingress.webhook.SeenSignatures}, in memory:
 * {@link ai.aegis.ingress.webhook.BoundedSeenSignatures}) is per node; the cross-node one will be the Kafka Streams
 * deduplication store.
 */
package ai.aegis.ingress.webhook;
