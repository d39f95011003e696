package ai.aegis.ingress.webhook;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Why a delivery was refused: the HTTP status, a stable code for senders and dashboards, and a message for people.
 * The message never holds a secret nor the digest that was expected (only what the sender sent or could know).
 *
 * <table>
 *   <caption>Codes</caption>
 *   <tr><th>status</th><th>code</th><th>when</th></tr>
 *   <tr><td>400</td><td>{@value #MALFORMED_SOURCE}</td><td>empty source, or one with {@code /}, whitespace</td></tr>
 *   <tr><td>401</td><td>{@value #MISSING_SIGNATURE}</td><td>no signature header (standard-webhooks: any of
 *       its three)</td></tr>
 *   <tr><td>400</td><td>{@value #MALFORMED_SIGNATURE}</td><td>not {@code sha256=<hex>}; a {@code webhook-signature}
 *       entry without a comma or whose v1 value is not base64</td></tr>
 *   <tr><td>401</td><td>{@value #MISSING_TIMESTAMP}</td><td>aegis-timestamped without {@code X-Aegis-Timestamp}</td></tr>
 *   <tr><td>400</td><td>{@value #MALFORMED_TIMESTAMP}</td><td>the timestamp is not an integer</td></tr>
 *   <tr><td>400</td><td>{@value #MALFORMED_IDEMPOTENCY_KEY}</td><td>{@code X-Idempotency-Key} (or
 *       {@code webhook-id}) blank or longer than 256</td></tr>
 *   <tr><td>401</td><td>{@value #SECRET_NOT_FOUND}</td><td>the source has no (usable) secret</td></tr>
 *   <tr><td>401</td><td>{@value #STALE_TIMESTAMP}</td><td>the timestamp is outside the source's window</td></tr>
 *   <tr><td>401</td><td>{@value #INVALID_SIGNATURE}</td><td>no secret of the source gives the signature</td></tr>
 *   <tr><td>401</td><td>{@value #REPLAYED_SIGNATURE}</td><td>accepted once already, inside its window</td></tr>
 * </table>
 */
public record WebhookRefusal(int status, String code, String message) {

    public static final String MALFORMED_SOURCE = "malformed_source";
    public static final String MISSING_SIGNATURE = "missing_signature";
    public static final String MALFORMED_SIGNATURE = "malformed_signature";
    public static final String MISSING_TIMESTAMP = "missing_timestamp";
    public static final String MALFORMED_TIMESTAMP = "malformed_timestamp";
    public static final String MALFORMED_IDEMPOTENCY_KEY = "malformed_idempotency_key";
    public static final String SECRET_NOT_FOUND = "secret_not_found";
    public static final String STALE_TIMESTAMP = "stale_timestamp";
    public static final String INVALID_SIGNATURE = "invalid_signature";
    public static final String REPLAYED_SIGNATURE = "replayed_signature";

    /** The JSON body: {@code error} (the code) and {@code message}. */
    public Map<String, Object> body() {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", code);
        body.put("message", message);
        return body;
    }

    static WebhookRefusal badRequest(String code, String message) {
        return new WebhookRefusal(400, code, message);
    }

    static WebhookRefusal unauthorized(String code, String message) {
        return new WebhookRefusal(401, code, message);
    }
}
