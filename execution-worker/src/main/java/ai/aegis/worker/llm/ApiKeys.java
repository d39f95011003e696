package ai.aegis.worker.llm;

import java.util.Objects;
import java.util.function.Function;

/**
 * Resolves an API key reference. Keys should never live in committed configuration, so only {@code env:VAR} is
 * accepted by default; a literal key passes only when the configuration explicitly allows it.
 */
public final class ApiKeys {

    private static final String ENV_PREFIX = "env:";

    private ApiKeys() {
    }

    /**
     * @param reference    {@code env:VAR}, a literal, or null/blank for "no key"
     * @param allowLiteral whether a value without the {@code env:} prefix is accepted as the key itself
     * @param env          environment lookup (System::getenv in production; injectable so tests need no real env)
     * @param where        what the key configures, for error messages (e.g. {@code provider 'local'})
     * @return the key, or null when no key is configured
     * @throws LlmConfigException naming the variable (never a value) when the key cannot be resolved
     */
    public static String resolve(String reference, boolean allowLiteral, Function<String, String> env, String where) {
        Objects.requireNonNull(env, "env");
        if (reference == null || reference.isBlank()) {
            return null;
        }
        String ref = reference.strip();
        if (ref.startsWith(ENV_PREFIX)) {
            String variable = ref.substring(ENV_PREFIX.length()).strip();
            if (variable.isEmpty()) {
                throw new LlmConfigException(where + ": api-key reference 'env:' names no environment variable");
            }
            String value = env.apply(variable);
            if (value == null || value.isBlank()) {
                throw new LlmConfigException(where + ": api-key refers to environment variable " + variable
                        + ", which is not set");
            }
            return value.strip();
        }
        if (!allowLiteral) {
            // Do not echo the value: it is probably the secret itself.
            throw new LlmConfigException(where + ": api-key must be a reference like env:OPENAI_API_KEY; literal keys"
                    + " are refused unless allow-literal-api-keys is true");
        }
        return ref;
    }
}
