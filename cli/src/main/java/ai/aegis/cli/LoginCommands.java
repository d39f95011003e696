package ai.aegis.cli;

import ai.aegis.cli.client.Context;
import ai.aegis.cli.login.Login;
import ai.aegis.cli.login.TokenClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code aegis login}, {@code token}, {@code logout} on picocli; the work is {@link Login}'s, as before. */
final class LoginCommands {

    private LoginCommands() {
    }

    private static Login login(Context context) {
        return new Login(new TokenClient(), context.env());
    }

    private static void add(List<String> args, String name, String value) {
        if (value != null) {
            args.add(name);
            args.add(value);
        }
    }

    @Command(name = "login", mixinStandardHelpOptions = true, description = {
            "Get an access token from the identity provider the API trusts and keep it (mode 0600).",
            "Client credentials: the secret in AEGIS_CLIENT_SECRET or --client-secret-file (never the command line);",
            "--device for people (prints where to go and the code to enter)."})
    static final class LoginCommand implements Callable<Integer> {
        final Context context;
        @Option(names = "--issuer", paramLabel = "URL", required = true, description = "the OIDC issuer")
        String issuer;
        @Option(names = "--client-id", paramLabel = "ID", required = true, description = "the client id")
        String clientId;
        @Option(names = "--client-secret-file", paramLabel = "FILE", description = "the client secret's file")
        String secretFile;
        @Option(names = "--data-dir", paramLabel = "DIR", description = "where the token is kept (default ~/.aegis)")
        String dataDir;
        @Option(names = "--device", description = "the device authorization grant (for people)")
        boolean device;

        LoginCommand(Context context) {
            this.context = context;
        }

        @Override
        public Integer call() throws IOException, InterruptedException {
            List<String> a = new ArrayList<>();
            add(a, "--issuer", issuer);
            add(a, "--client-id", clientId);
            add(a, "--client-secret-file", secretFile);
            add(a, "--data-dir", dataDir);
            if (device) {
                a.add("--device");
            }
            return login(context).login(a.toArray(String[]::new), context.out());
        }
    }

    @Command(name = "token", mixinStandardHelpOptions = true, description = {
            "Print a fresh access token (renewed when needed):",
            "curl -H \"Authorization: Bearer $(aegis token)\" ..."})
    static final class TokenCommand implements Callable<Integer> {
        final Context context;
        @Option(names = "--data-dir", paramLabel = "DIR", description = "where the token is kept (default ~/.aegis)")
        String dataDir;

        TokenCommand(Context context) {
            this.context = context;
        }

        @Override
        public Integer call() throws IOException, InterruptedException {
            List<String> a = new ArrayList<>();
            add(a, "--data-dir", dataDir);
            return login(context).token(a.toArray(String[]::new), context.out());
        }
    }

    @Command(name = "logout", mixinStandardHelpOptions = true, description = "Forget the stored token.")
    static final class LogoutCommand implements Callable<Integer> {
        final Context context;
        @Option(names = "--data-dir", paramLabel = "DIR", description = "where the token is kept (default ~/.aegis)")
        String dataDir;

        LogoutCommand(Context context) {
            this.context = context;
        }

        @Override
        public Integer call() throws IOException {
            List<String> a = new ArrayList<>();
            add(a, "--data-dir", dataDir);
            return login(context).logout(a.toArray(String[]::new), context.out());
        }
    }
}
