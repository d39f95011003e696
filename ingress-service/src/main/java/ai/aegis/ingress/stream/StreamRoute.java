package ai.aegis.ingress.stream;

import ai.aegis.topology.readmodel.EventReadModel;

import java.util.Objects;

/**
 * One kind of event stream: {@code <prefix><id>/stream}, the view whose aggregates it streams, and the topic those
 * events are folded from (where older ones are read back). Both transports serve the same routes.
 *
 * @param prefix           the path up to the id, e.g. {@code /v1/executions/}
 * @param invalidIdMessage the 400 message for an id that is not a UUID
 * @param notFoundMessage  the 404 message for an id the view does not know
 */
public record StreamRoute(String prefix, EventReadModel<?, ?, ?> view, String topic, String invalidIdMessage,
                          String notFoundMessage) {

    static final String SUFFIX = "/stream";

    public StreamRoute {
        Objects.requireNonNull(prefix, "prefix");
        Objects.requireNonNull(view, "view");
        Objects.requireNonNull(topic, "topic");
        if (!prefix.startsWith("/") || !prefix.endsWith("/")) {
            throw new IllegalArgumentException("a stream route's prefix starts and ends with '/': " + prefix);
        }
    }

    /** The id in {@code path} when it is one of this route's streams ({@code <prefix><id>/stream}), else null. */
    String idIn(String path) {
        if (path.length() > prefix.length() + SUFFIX.length() && path.startsWith(prefix) && path.endsWith(SUFFIX)) {
            String id = path.substring(prefix.length(), path.length() - SUFFIX.length());
            return id.indexOf('/') < 0 ? id : null;
        }
        return null;
    }
}
