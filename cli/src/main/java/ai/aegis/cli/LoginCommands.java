package ai.aegis.cli;

import ai.aegis.cli.client.Context;
import ai.aegis.cli.login.Login;
import ai.aegis.cli.login.TokenClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.util.concurrent.Callable;

/** {@code aegis login}, {@code token}, {@code logout} on picocli; the work is {@link Login}'s, as before. */
final class LoginCommands {

    private LoginCommands() {
    }

    /** What the three share: where the token is kept, and {@link Login}. */
    abstract static class TokenStore implements Callable<Integer> {
        final Context context;
        @Option(names = "--data-dir", paramLabel = "DIR", description = "where the token is kept (default ~/.aegis)")
        String dataDir;

        TokenStore(Context context) {
            this.context = context;
        }

        Login login() {
            return new Login(new TokenClient(), context.env());
        }

        /** The options given, for {@link Login}: {@code --data-dir DIR} when given. */
        Argv args() {
            return new Argv().option("--data-dir", dataDir);
        }
    }

    @Command(name = "login", mixinStandardHelpOptions = true, description = {
            "Get an access token from the identity provider the API trusts and keep it (mode 0600).",
            "Client credentials: the secret in AEGIS_CLIENT_SECRET or --client-secret-file (never the command line);",
            "--device for people (prints where to go and the code to enter)."})
    static final class LoginCommand extends TokenStore {
        @Option(names = "--issuer", paramLabel = "URL", required = true, description = "the OIDC issuer")
        String issuer;
        @Option(names = "--client-id", paramLabel = "ID", required = true, description = "the client id")
        String clientId;
        @Option(names = "--client-secret-file", paramLabel = "FILE", description = "the client secret's file")
        String secretFile;
        @Option(names = "--device", description = "the device authorization grant (for people)")
        boolean device;

        LoginCommand(Context context) {
            super(context);
        }

        @Override
        public Integer call() throws IOException, InterruptedException {
            return login().login(args().option("--issuer", issuer).option("--client-id", clientId)
                    .option("--client-secret-file", secretFile).flag("--device", device).toArray(), context.out());
        }
    }

    @Command(name = "token", mixinStandardHelpOptions = true, description = {
            "Print a fresh access token (renewed when needed):",
            "curl -H \"Authorization: Bearer $(aegis token)\" ..."})
    static final class TokenCommand extends TokenStore {
        TokenCommand(Context context) {
            super(context);
        }

        @Override
        public Integer call() throws IOException, InterruptedException {
            return login().token(args().toArray(), context.out());
        }
    }

    @Command(name = "logout", mixinStandardHelpOptions = true, description = "Forget the stored token.")
    static final class LogoutCommand extends TokenStore {
        LogoutCommand(Context context) {
            super(context);
        }

        @Override
        public Integer call() throws IOException {
            return login().logout(args().toArray(), context.out());
        }
    }
}
