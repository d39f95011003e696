package ai.aegis.topology.admin;

/** The topics of the catalogue could not be ensured: the cluster is unreachable or refused a creation. */
public final class TopicInstallationException extends RuntimeException {

    public TopicInstallationException(String message, Throwable cause) {
        super(message, cause);
    }
}
