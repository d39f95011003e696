package ai.aegis.cli.client;

import ai.aegis.cli.login.Login;
import ai.aegis.cli.login.StoredToken;
import ai.aegis.cli.login.TokenClient;
import ai.aegis.ingress.auth.LocalApiToken;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** The options of every API client command: where the API is, the token, the output format. */
public final class ClientOptions {

    public enum Format { text, table, json, yaml }

    @Option(names = "--server", paramLabel = "URL",
            description = "the Aegis API (default: AEGIS_SERVER, else http://localhost:8080)")
    String server;

    @Option(names = "--token-file", paramLabel = "FILE", description = "read the API token from FILE; else "
            + "AEGIS_TOKEN, else the token of `aegis login`, else <data-dir>/api-token (as `aegis up` prints it)")
    Path tokenFile;

    @Option(names = "--data-dir", paramLabel = "DIR",
            description = "where `aegis up` and `aegis login` keep their tokens (default AEGIS_DATA_DIR, else ~/.aegis)")
    Path dataDir;

    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "text",
            description = "text (default), table, json (the API's JSON, pretty) or yaml")
    Format output;

    @Option(names = "--no-tty", description = "plain lines even on a terminal (no live progress line)")
    boolean noTty;

    public Format output() {
        return output;
    }

    public boolean noTty() {
        return noTty;
    }

    public ApiClient client(Context context) {
        String base = server != null ? server : Optional.ofNullable(context.env().apply("AEGIS_SERVER"))
                .filter(s -> !s.isBlank()).orElse("http://localhost:8080");
        return new ApiClient(base, token(context));
    }

    /** The token, or null to send none (an API started with --insecure-no-auth). */
    String token(Context context) {
        try {
            if (tokenFile != null) {
                if (!Files.isReadable(tokenFile)) {
                    throw new CliException("cannot read the token file " + tokenFile, 2);
                }
                return Files.readString(tokenFile).strip();
            }
            String env = context.env().apply("AEGIS_TOKEN");
            if (env != null && !env.isBlank()) {
                return env.strip();
            }
            Path dir = Login.dataDir(Optional.ofNullable(dataDir), context.env());
            Path oidc = dir.resolve(StoredToken.FILE_NAME);
            if (Files.exists(oidc)) {
                return new Login(new TokenClient(), context.env()).fresh(oidc).accessToken();
            }
            Path apiToken = dir.resolve(LocalApiToken.FILE_NAME);
            if (Files.isReadable(apiToken)) {
                return Files.readString(apiToken).strip();
            }
            return null;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException("interrupted", 130);
        }
    }
}
