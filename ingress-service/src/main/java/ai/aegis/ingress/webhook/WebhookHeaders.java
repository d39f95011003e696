package ai.aegis.ingress.webhook;

import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A request's headers as the verifier reads them: the first value of one, by name, ignoring case. A Helidon route
 * passes {@code name -> req.headers().first(HeaderNames.create(name))}.
 */
@FunctionalInterface
public interface WebhookHeaders {

    /** @param name a lower-case header name */
    Optional<String> first(String name);

    /** Headers from a map (tests, or a caller that has collected them), matched ignoring case. */
    static WebhookHeaders of(Map<String, String> headers) {
        TreeMap<String, String> byName = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        headers.forEach((name, value) -> byName.putIfAbsent(name, value));
        return name -> Optional.ofNullable(byName.get(name));
    }
}
