package ai.aegis.schemas.agent;

import java.util.List;

/** A manifest that cannot be deployed; every problem names the path of the offending field. */
public final class ManifestException extends RuntimeException {

    private final List<Problem> problems;

    public ManifestException(List<Problem> problems) {
        super(describe(problems));
        this.problems = List.copyOf(problems);
    }

    public List<Problem> problems() {
        return problems;
    }

    private static String describe(List<Problem> problems) {
        StringBuilder sb = new StringBuilder("Invalid manifest: ");
        for (int i = 0; i < problems.size(); i++) {
            if (i > 0) {
                sb.append("; ");
            }
            sb.append(problems.get(i).path()).append(": ").append(problems.get(i).message());
        }
        return sb.toString();
    }

    /** @param path dotted path with list indexes, e.g. {@code spec.tools[1]} */
    public record Problem(String path, String message) {
    }
}
