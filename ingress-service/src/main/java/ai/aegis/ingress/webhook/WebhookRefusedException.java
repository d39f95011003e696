package ai.aegis.ingress.webhook;

/**
 * Thrown by {@link WebhookVerifier#verify} when a delivery is refused; the route answers {@link #refusal()}. Without
 * a stack trace: refusals are expected answers (and cheap ones, since anyone can send them).
 */
public final class WebhookRefusedException extends RuntimeException {

    private final transient WebhookRefusal refusal;

    WebhookRefusedException(WebhookRefusal refusal) {
        super(refusal.code() + ": " + refusal.message(), null, false, false);
        this.refusal = refusal;
    }

    public WebhookRefusal refusal() {
        return refusal;
    }
}
