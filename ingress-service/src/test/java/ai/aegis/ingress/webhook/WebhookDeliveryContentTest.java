package ai.aegis.ingress.webhook;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static ai.aegis.ingress.webhook.WebhookFixtures.aegisSignature;
import static ai.aegis.ingress.webhook.WebhookFixtures.env;
import static ai.aegis.ingress.webhook.WebhookFixtures.utf8;
import static ai.aegis.ingress.webhook.WebhookFixtures.verifier;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What a verified delivery carries on: the body as UTF-8 text or base64, and the allowed headers within bounds. */
class WebhookDeliveryContentTest {

    private static final String SECRET = "content-secret";

    private static WebhookDelivery deliver(WebhookConfig config, byte[] body, Map<String, String> extra) {
        Map<String, String> headers = new LinkedHashMap<>(extra);
        headers.put("X-Aegis-Signature", aegisSignature(SECRET, body));
        return verifier(config, env("AEGIS_WEBHOOK_SECRET_SRC", SECRET)).verify("src", WebhookHeaders.of(headers),
                body);
    }

    private static WebhookDelivery deliver(byte[] body, Map<String, String> extra) {
        return deliver(WebhookConfig.builder().build(), body, extra);
    }

    @Test
    void aUtf8BodyIsForwardedAsText() {
        WebhookDelivery d = deliver(utf8("{\"name\":\"Zoë\",\"emoji\":\"\uD83D\uDE80\"}"), Map.of());

        assertThat(d.content()).isEqualTo("{\"name\":\"Zoë\",\"emoji\":\"\uD83D\uDE80\"}");
        assertThat(d.contentEncoding()).isEqualTo("utf-8");
        assertThat(d.base64()).isFalse();
    }

    @Test
    void anEmptyBodyIsEmptyText() {
        WebhookDelivery d = deliver(new byte[0], Map.of());

        assertThat(d.content()).isEmpty();
        assertThat(d.contentEncoding()).isEqualTo("utf-8");
    }

    @Test
    void aBodyThatIsNotValidUtf8IsForwardedAsBase64() {
        byte[] latin1 = {'c', 'a', 'f', (byte) 0xE9};               // café in ISO-8859-1
        byte[] binary = {(byte) 0x89, 'P', 'N', 'G', 0, 1, 2, (byte) 0xFF};
        byte[] truncated = {'x', (byte) 0xF0, (byte) 0x9F, (byte) 0x9A};  // a 4-byte sequence cut short

        for (byte[] body : List.of(latin1, binary, truncated)) {
            WebhookDelivery d = deliver(body, Map.of());
            assertThat(d.contentEncoding()).isEqualTo("base64");
            assertThat(d.base64()).isTrue();
            assertThat(Base64.getDecoder().decode(d.content())).isEqualTo(body);
        }
    }

    @Test
    void onlyAllowedHeadersAreForwardedLowerCasedInAllowListOrder() {
        WebhookDelivery d = deliver(utf8("{}"), Map.of(
                "Content-Type", "application/json",
                "User-Agent", "GitHub-Hookshot/abc",
                "X-GitHub-Event", "push",
                "X-Custom", "not allowed",
                "Authorization", "Bearer nope",
                "Cookie", "session=nope"));

        assertThat(d.headers()).containsExactly(
                Map.entry("content-type", "application/json"),
                Map.entry("user-agent", "GitHub-Hookshot/abc"),
                Map.entry("x-github-event", "push"));
    }

    @Test
    void signatureAndCredentialHeadersCannotBeAllowed() {
        for (String name : List.of("Authorization", "cookie", "X-Aegis-Signature", "webhook-signature",
                "x-hub-signature-256", "x-gitlab-token", "proxy-authorization")) {
            assertThatThrownBy(() -> WebhookConfig.builder()
                            .forwardHeaders(List.of("content-type", name)).build())
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("aegis.webhooks.forward-headers");
        }
    }

    @Test
    void atMost32HeadersAreForwarded() {
        List<String> allowed = new ArrayList<>();
        Map<String, String> sent = new LinkedHashMap<>();
        for (int i = 0; i < 40; i++) {
            allowed.add("x-h" + i);
            sent.put("X-H" + i, "v" + i);
        }
        WebhookDelivery d = deliver(WebhookConfig.builder().forwardHeaders(allowed).build(), utf8("{}"), sent);

        assertThat(d.headers()).hasSize(32);
        assertThat(d.headers().keySet()).containsExactlyElementsOf(allowed.subList(0, 32));
    }

    @Test
    void atMost8KibOfHeadersAreForwardedAndOneThatDoesNotFitIsLeftOut() {
        String big = "b".repeat(3000);
        WebhookConfig config = WebhookConfig.builder()
                .forwardHeaders(List.of("x-one", "x-two", "x-three", "x-small")).build();
        WebhookDelivery d = deliver(config, utf8("{}"), Map.of(
                "x-one", big, "x-two", big, "x-three", big, "x-small", "s"));

        assertThat(d.headers().keySet()).containsExactly("x-one", "x-two", "x-small");
        int bytes = d.headers().entrySet().stream()
                .mapToInt(e -> utf8(e.getKey()).length + utf8(e.getValue()).length).sum();
        assertThat(bytes).isLessThanOrEqualTo(WebhookConfig.MAX_FORWARDED_HEADER_BYTES);
    }

    @Test
    void aSingleHeaderLargerThan8KibIsLeftOut() {
        WebhookConfig config = WebhookConfig.builder().forwardHeaders(List.of("x-huge", "content-type")).build();
        WebhookDelivery d = deliver(config, utf8("{}"), Map.of("x-huge", "h".repeat(9000),
                "content-type", "application/json"));

        assertThat(d.headers()).containsOnlyKeys("content-type");
    }

    @Test
    void theForwardedHeadersCannotBeChanged() {
        WebhookDelivery d = deliver(utf8("{}"), Map.of("Content-Type", "application/json"));

        assertThatThrownBy(() -> d.headers().put("x", "y"))
                .isInstanceOf(UnsupportedOperationException.class);
    }
}
