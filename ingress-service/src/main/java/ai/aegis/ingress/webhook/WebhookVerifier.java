package ai.aegis.ingress.webhook;

import ai.aegis.schemas.stimulus.StimulusSources;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * Verifies webhook deliveries (see the package description for the schemes). Pure: it reads the source name, the
 * headers and the raw body bytes (as received, before any parsing: a re-serialised body would not match its
 * signature) and answers a {@link WebhookDelivery} or throws a {@link WebhookRefusedException}. Thread-safe.
 *
 * <p>The checks run in this order, and the first failure is the answer:
 * <ol>
 *   <li>the source name;</li>
 *   <li>the form of the request: the signature headers present and well-formed, then the timestamp, then the
 *       idempotency key ({@code missing_*} 401, {@code malformed_*} 400) — before any secret is touched, so a
 *       broken sender learns what to fix whatever the configuration;</li>
 *   <li>the source's secrets ({@code secret_not_found});</li>
 *   <li>the timestamp's window ({@code stale_timestamp}), before any HMAC: a stale delivery costs no hashing;</li>
 *   <li>the digest ({@code invalid_signature}), compared in constant time;</li>
 *   <li>the replay guard ({@code replayed_signature}), last, so that only genuine deliveries take a place in it.</li>
 * </ol>
 */
public final class WebhookVerifier {

    public static final String AEGIS_SIGNATURE = "x-aegis-signature";
    public static final String AEGIS_TIMESTAMP = "x-aegis-timestamp";
    public static final String IDEMPOTENCY_KEY = "x-idempotency-key";
    /**
     * The idempotency key of an {@code aegis-timestamped} delivery without {@code X-Idempotency-Key}: this prefix and
     * its signature's hex digest, so that a replay on any node is a duplicate.
     */
    public static final String SIGNATURE_KEY_PREFIX = "sig:";
    public static final String WEBHOOK_ID = "webhook-id";
    public static final String WEBHOOK_TIMESTAMP = "webhook-timestamp";
    public static final String WEBHOOK_SIGNATURE = "webhook-signature";
    /** The longest idempotency key (and {@code webhook-id}) accepted. */
    public static final int MAX_IDEMPOTENCY_KEY = 256;

    private static final String SHA256_PREFIX = "sha256=";
    private static final String V1 = "v1";

    private final WebhookConfig config;
    private final WebhookKeys keys;
    private final Clock clock;
    private final SeenSignatures seen;

    /**
     * @param environment an environment variable by name, or null: {@code System::getenv} in the server, a map's
     *                    {@code get} in tests
     * @param clock       the timestamped schemes' "now"
     * @param seen        the replay guard, usually a {@link BoundedSeenSignatures} of
     *                    {@link WebhookConfig#replayGuardEntries()}
     */
    public WebhookVerifier(WebhookConfig config, Function<String, String> environment, Clock clock,
                           SeenSignatures seen) {
        this.config = Objects.requireNonNull(config, "config");
        this.keys = new WebhookKeys(config, Objects.requireNonNull(environment, "environment"));
        this.clock = Objects.requireNonNull(clock, "clock");
        this.seen = Objects.requireNonNull(seen, "seen");
    }

    /**
     * @param source  the source's name as the sender wrote it (the path segment); matched ignoring case
     * @param headers the request's headers
     * @param body    the raw body
     * @return the delivery to forward
     * @throws WebhookRefusedException with the status, code and message to answer
     */
    public WebhookDelivery verify(String source, WebhookHeaders headers, byte[] body) {
        String name;
        try {
            name = StimulusSources.normalise(source);
        } catch (IllegalArgumentException e) {
            throw refused(WebhookRefusal.badRequest(WebhookRefusal.MALFORMED_SOURCE, e.getMessage()));
        }
        WebhookConfig.Source settings = config.source(name);
        Instant now = clock.instant();
        return switch (settings.scheme()) {
            case AEGIS, AEGIS_TIMESTAMPED -> aegis(name, settings, headers, body, now);
            case STANDARD_WEBHOOKS -> standardWebhooks(name, settings, headers, body, now);
        };
    }

    /** {@code Mac.getInstance} calls so far: one per secret in use when {@code Mac.clone()} works. */
    long macLookups() {
        return keys.macLookups();
    }

    private WebhookDelivery aegis(String name, WebhookConfig.Source settings, WebhookHeaders headers, byte[] body,
                                  Instant now) {
        boolean timestamped = settings.scheme() == WebhookScheme.AEGIS_TIMESTAMPED;
        byte[] presented = aegisSignature(headers.first(AEGIS_SIGNATURE));
        String timestamp = null;
        long seconds = 0;
        if (timestamped) {
            timestamp = headers.first(AEGIS_TIMESTAMP).orElseThrow(() -> refused(WebhookRefusal.unauthorized(
                    WebhookRefusal.MISSING_TIMESTAMP, "X-Aegis-Timestamp (unix seconds) is required")));
            seconds = seconds(timestamp, "X-Aegis-Timestamp");
        }
        Optional<String> idempotencyKey = headers.first(IDEMPOTENCY_KEY)
                .map(k -> idempotencyKey(k, "X-Idempotency-Key"));
        List<HmacKey> secrets = secrets(name);
        if (timestamped) {
            inWindow(seconds, settings, "X-Aegis-Timestamp", now);
        }
        byte[][] signed = timestamped
                ? new byte[][] {(timestamp + ".").getBytes(StandardCharsets.UTF_8), body}
                : new byte[][] {body};
        if (!matches(secrets, signed, List.of(presented))) {
            throw refused(WebhookRefusal.unauthorized(WebhookRefusal.INVALID_SIGNATURE,
                    "X-Aegis-Signature does not match the body with any of the source's secrets"));
        }
        if (timestamped) {
            // the signature covers the timestamp, so (source, digest) is one delivery; the decoded digest, so that
            // the same one in upper-case hex is no new delivery
            String digest = HexFormat.of().formatHex(presented);
            notReplayed(WebhookScheme.AEGIS_TIMESTAMPED + "\n" + name + "\n" + digest, seconds, settings, now);
            // The guard above is this node's; a replay sent to another node is caught by the deduplication, which
            // every node shares: without a key of its own, the signed digest is the delivery's idempotency key.
            if (idempotencyKey.isEmpty()) {
                idempotencyKey = Optional.of(SIGNATURE_KEY_PREFIX + digest);
            }
        }
        return delivery(name, settings.scheme(), idempotencyKey, headers, body);
    }

    private WebhookDelivery standardWebhooks(String name, WebhookConfig.Source settings, WebhookHeaders headers,
                                             byte[] body, Instant now) {
        Optional<String> id = headers.first(WEBHOOK_ID);
        Optional<String> timestamp = headers.first(WEBHOOK_TIMESTAMP);
        Optional<String> signature = headers.first(WEBHOOK_SIGNATURE);
        if (id.isEmpty() || timestamp.isEmpty() || signature.isEmpty()) {
            throw refused(WebhookRefusal.unauthorized(WebhookRefusal.MISSING_SIGNATURE,
                    "webhook-id, webhook-timestamp and webhook-signature are all required"));
        }
        String webhookId = idempotencyKey(id.get(), "webhook-id");
        long seconds = seconds(timestamp.get(), "webhook-timestamp");
        List<byte[]> presented = v1Signatures(signature.get());
        List<HmacKey> secrets = secrets(name);
        inWindow(seconds, settings, "webhook-timestamp", now);
        byte[] prefix = (webhookId + "." + timestamp.get() + ".").getBytes(StandardCharsets.UTF_8);
        if (!matches(secrets, new byte[][] {prefix, body}, presented)) {
            throw refused(WebhookRefusal.unauthorized(WebhookRefusal.INVALID_SIGNATURE,
                    "no v1 entry of webhook-signature matches the delivery with any of the source's secrets"));
        }
        // keyed on the verified id and time rather than on the signature text: a sender rotating its secret signs
        // with several, and replaying the delivery with only some of its entries must still be a replay
        notReplayed(WebhookScheme.STANDARD_WEBHOOKS + "\n" + name + "\n" + webhookId + "\n" + seconds,
                seconds, settings, now);
        return delivery(name, settings.scheme(), Optional.of(webhookId), headers, body);
    }

    private WebhookDelivery delivery(String name, WebhookScheme scheme, Optional<String> idempotencyKey,
                                     WebhookHeaders headers, byte[] body) {
        WebhookContent.Body content = WebhookContent.body(body);
        return new WebhookDelivery(name, scheme, idempotencyKey, content.content(), content.encoding(),
                WebhookContent.headers(config.forwardHeaders(), headers));
    }

    /** {@code sha256=<hex>} decoded: the digest is compared as bytes, never as text. */
    private static byte[] aegisSignature(Optional<String> header) {
        String value = header.orElseThrow(() -> refused(WebhookRefusal.unauthorized(
                WebhookRefusal.MISSING_SIGNATURE, "X-Aegis-Signature (sha256=<hex>) is required")));
        String hex = value.startsWith(SHA256_PREFIX) ? value.substring(SHA256_PREFIX.length()) : "";
        if (!hex.isEmpty() && hex.length() % 2 == 0) {
            try {
                return HexFormat.of().parseHex(hex);
            } catch (IllegalArgumentException notHex) {
                // answered below
            }
        }
        throw refused(WebhookRefusal.badRequest(WebhookRefusal.MALFORMED_SIGNATURE,
                "X-Aegis-Signature must be sha256= followed by the hex HMAC-SHA256 of the body"));
    }

    /** The decoded {@code v1} entries of {@code webhook-signature}; entries of other versions are skipped. */
    private static List<byte[]> v1Signatures(String header) {
        List<byte[]> v1 = new ArrayList<>();
        int entries = 0;
        for (String entry : header.split(" ")) {
            if (entry.isEmpty()) {
                continue;
            }
            entries++;
            int comma = entry.indexOf(',');
            if (comma <= 0) {
                throw malformedSignature();
            }
            if (entry.substring(0, comma).equals(V1)) {
                try {
                    byte[] decoded = Base64.getDecoder().decode(entry.substring(comma + 1));
                    if (decoded.length == 0) {
                        throw malformedSignature();
                    }
                    v1.add(decoded);
                } catch (IllegalArgumentException notBase64) {
                    throw malformedSignature();
                }
            }
        }
        if (entries == 0) {
            throw malformedSignature();
        }
        return v1;
    }

    private static WebhookRefusedException malformedSignature() {
        return refused(WebhookRefusal.badRequest(WebhookRefusal.MALFORMED_SIGNATURE,
                "webhook-signature must be space-separated <version>,<base64> entries"));
    }

    private static long seconds(String timestamp, String header) {
        try {
            return Long.parseLong(timestamp);
        } catch (NumberFormatException e) {
            throw refused(WebhookRefusal.badRequest(WebhookRefusal.MALFORMED_TIMESTAMP,
                    header + " must be an integer (unix seconds)"));
        }
    }

    private static String idempotencyKey(String key, String header) {
        if (key.isBlank() || key.length() > MAX_IDEMPOTENCY_KEY) {
            throw refused(WebhookRefusal.badRequest(WebhookRefusal.MALFORMED_IDEMPOTENCY_KEY,
                    header + " must be non-blank and at most " + MAX_IDEMPOTENCY_KEY + " characters"));
        }
        return key;
    }

    private List<HmacKey> secrets(String name) {
        List<HmacKey> found = keys.keys(name);
        if (found.isEmpty()) {
            throw refused(WebhookRefusal.unauthorized(WebhookRefusal.SECRET_NOT_FOUND,
                    "no secret is configured for webhook source " + name));
        }
        return found;
    }

    /** Within the tolerance either way, bounds included; no overflow: both bounds are near the clock's seconds. */
    private static void inWindow(long seconds, WebhookConfig.Source settings, String header, Instant now) {
        long nowSeconds = now.getEpochSecond();
        long tolerance = settings.tolerance().getSeconds();
        if (seconds < nowSeconds - tolerance || seconds > nowSeconds + tolerance) {
            throw refused(WebhookRefusal.unauthorized(WebhookRefusal.STALE_TIMESTAMP,
                    header + " is more than " + tolerance + " s away from the server's clock"));
        }
    }

    /**
     * Every secret's digest against every presented one, all compared (no early exit: the work does not depend on
     * which one matches), each with {@link MessageDigest#isEqual}, which takes the same time wherever bytes differ.
     */
    private static boolean matches(List<HmacKey> secrets, byte[][] signed, List<byte[]> presented) {
        boolean match = false;
        for (HmacKey secret : secrets) {
            byte[] expected = secret.sign(signed);
            for (byte[] p : presented) {
                match |= MessageDigest.isEqual(expected, p);
            }
        }
        return match;
    }

    /** Remembered until the delivery's window ends: a replay after that is refused as stale. */
    private void notReplayed(String key, long seconds, WebhookConfig.Source settings, Instant now) {
        Instant until = Instant.ofEpochSecond(seconds + settings.tolerance().getSeconds());
        if (!seen.firstSighting(key, until, now)) {
            throw refused(WebhookRefusal.unauthorized(WebhookRefusal.REPLAYED_SIGNATURE,
                    "this delivery was accepted already; a retry needs a new timestamp and signature"));
        }
    }

    private static WebhookRefusedException refused(WebhookRefusal refusal) {
        return new WebhookRefusedException(refusal);
    }
}
