package ai.aegis.ingress.webhook;

import org.assertj.core.api.ThrowableAssert.ThrowingCallable;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Signatures computed here independently of the code under test (plain {@code Mac}), and a clock to move. */
final class WebhookFixtures {

    static final Instant NOW = Instant.parse("2026-12-01T12:00:00Z");
    static final long NOW_SECONDS = NOW.getEpochSecond();

    private WebhookFixtures() {
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static byte[] hmac(byte[] key, byte[]... parts) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            for (byte[] p : parts) {
                mac.update(p);
            }
            return mac.doFinal();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code sha256=<hex>} of the body, the aegis scheme. */
    static String aegisSignature(String secret, byte[] body) {
        return "sha256=" + HexFormat.of().formatHex(hmac(utf8(secret), body));
    }

    /** {@code sha256=<hex>} of {@code <ts>.<body>}, the aegis-timestamped scheme. */
    static String timestampedSignature(String secret, long ts, byte[] body) {
        return "sha256=" + HexFormat.of().formatHex(hmac(utf8(secret), utf8(ts + "."), body));
    }

    /** One {@code v1,<base64>} entry as the Standard Webhooks specification says: over {@code id.ts.body}. */
    static String standardSignature(String whsecSecret, String id, long ts, byte[] body) {
        byte[] key = Base64.getDecoder().decode(whsecSecret.substring("whsec_".length()));
        return "v1," + Base64.getEncoder().encodeToString(hmac(key, utf8(id + "." + ts + "."), body));
    }

    /** Headers from names and values, in pairs. */
    static WebhookHeaders headers(String... namesAndValues) {
        Map<String, String> map = new LinkedHashMap<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            map.put(namesAndValues[i], namesAndValues[i + 1]);
        }
        return WebhookHeaders.of(map);
    }

    /** An environment of the given variables, in pairs. */
    static Function<String, String> env(String... namesAndValues) {
        Map<String, String> map = new HashMap<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            map.put(namesAndValues[i], namesAndValues[i + 1]);
        }
        return map::get;
    }

    static WebhookVerifier verifier(WebhookConfig config, Function<String, String> env, Clock clock) {
        return new WebhookVerifier(config, env, clock, new BoundedSeenSignatures(config.replayGuardEntries()));
    }

    static WebhookVerifier verifier(WebhookConfig config, Function<String, String> env) {
        return verifier(config, env, Clock.fixed(NOW, ZoneOffset.UTC));
    }

    /** Asserts the refusal's status and code and returns it for more. */
    static WebhookRefusal assertRefused(ThrowingCallable call, int status, String code) {
        WebhookRefusal[] out = new WebhookRefusal[1];
        assertThatThrownBy(call).isInstanceOfSatisfying(WebhookRefusedException.class, e -> {
            out[0] = e.refusal();
            assertThat(e.refusal().code()).isEqualTo(code);
            assertThat(e.refusal().status()).isEqualTo(status);
            assertThat(e.refusal().message()).isNotBlank();
        });
        return out[0];
    }

    /** A clock the test moves. */
    static final class MovableClock extends Clock {
        private volatile Instant now;

        MovableClock(Instant now) {
            this.now = now;
        }

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }
    }
}
