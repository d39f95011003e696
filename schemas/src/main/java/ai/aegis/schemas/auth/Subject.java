package ai.aegis.schemas.auth;

/**
 * Who made an API call, as the ingress's authentication established it. Routes read it from the request context
 * under {@link #CONTEXT_KEY}; it never comes from a header the caller could set.
 */
public final class Subject {

    /** Classifier of the subject (a String) in a request's context. */
    public static final String CONTEXT_KEY = "aegis.subject";

    /** The subject of calls made with the local API token (an installation without an identity provider). */
    public static final String LOCAL_TOKEN = "local-api-token";

    private Subject() {
    }
}
