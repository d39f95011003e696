package ai.aegis.ingress.webhook;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What a verified delivery carries on: its body as text or base64, and the allowed headers within their bounds. */
final class WebhookContent {

    /** The body and how it is held ({@link WebhookDelivery#UTF_8} or {@link WebhookDelivery#BASE64}). */
    record Body(String content, String encoding) {
    }

    private WebhookContent() {
    }

    /**
     * The body's text if it is valid UTF-8, else its base64. Strict: {@code new String(bytes, UTF_8)} would replace
     * bad bytes with U+FFFD and forward a body that is not the one that was signed.
     */
    static Body body(byte[] body) {
        try {
            String text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(body))
                    .toString();
            return new Body(text, WebhookDelivery.UTF_8);
        } catch (CharacterCodingException e) {
            return new Body(Base64.getEncoder().encodeToString(body), WebhookDelivery.BASE64);
        }
    }

    /**
     * The allowed headers that are present, in allow-list order, while they fit: at most
     * {@link WebhookConfig#MAX_FORWARDED_HEADERS}, and {@link WebhookConfig#MAX_FORWARDED_HEADER_BYTES} of names
     * and values; one that does not fit is left out and the later (smaller) ones are still considered.
     * {@link WebhookConfig} keeps credentials and signatures out of the allow-list; they are checked again here.
     */
    static Map<String, String> headers(List<String> allowed, WebhookHeaders headers) {
        Map<String, String> out = new LinkedHashMap<>();
        int bytes = 0;
        for (String name : allowed) {
            if (out.size() == WebhookConfig.MAX_FORWARDED_HEADERS) {
                break;
            }
            if (WebhookConfig.NEVER_FORWARDED.contains(name)) {
                continue;
            }
            String value = headers.first(name).orElse(null);
            if (value == null) {
                continue;
            }
            int size = utf8Length(name) + utf8Length(value);
            if (bytes + size <= WebhookConfig.MAX_FORWARDED_HEADER_BYTES) {
                out.put(name, value);
                bytes += size;
            }
        }
        return out;
    }

    private static int utf8Length(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }
}
