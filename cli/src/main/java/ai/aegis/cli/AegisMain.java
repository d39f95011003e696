package ai.aegis.cli;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;

/** The {@code aegis} command: {@code up} (everything in one JVM), {@code ingress}, {@code worker}. */
public final class AegisMain {

    private AegisMain() {
    }

    public static void main(String[] args) {
        Logging.configure();
        int code = run(args, System.out, System.err);
        if (code >= 0) {
            System.exit(code);
        }
    }

    /** @return an exit code, or -1 when a service keeps running until the JVM is stopped */
    static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0 || List.of("-h", "--help", "help").contains(args[0])) {
            usage(out);
            return args.length == 0 ? 2 : 0;
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        try {
            return switch (args[0]) {
                case "up" -> Up.run(Options.parse(rest), out);
                case "ingress" -> Services.ingress(Options.parse(rest), out);
                case "engine" -> Services.engine(Options.parse(rest), out);
                case "worker" -> Services.worker(Options.parse(rest), out);
                case "bench" -> ai.aegis.cli.bench.Bench.run(rest, out); // options of its own (aegis bench --help)
                case "login" -> login().login(rest, out);
                case "token" -> login().token(rest, out);
                case "logout" -> login().logout(rest, out);
                default -> {
                    err.println("aegis: unknown command '" + args[0] + "'");
                    usage(err);
                    yield 2;
                }
            };
        } catch (IllegalArgumentException e) {
            err.println("aegis: " + e.getMessage());
            return 2;
        } catch (java.io.IOException e) {
            err.println("aegis: " + e.getMessage());
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 130;
        } catch (RuntimeException e) {
            err.println("aegis: " + e.getMessage());
            return 1;
        }
    }

    private static ai.aegis.cli.login.Login login() {
        return new ai.aegis.cli.login.Login(new ai.aegis.cli.login.TokenClient(), System::getenv);
    }

    static void usage(PrintStream out) {
        out.println("""
                usage: aegis <command> [options]

                commands:
                  up        start everything in one JVM: an embedded Kafka broker (unless --bootstrap-servers),
                            the public API, and an execution worker
                  ingress   run only the public API against a Kafka cluster
                  worker    run only an execution worker against a Kafka cluster
                  engine    run only the workflow engine against a Kafka cluster
                  bench     measure sandbox start latency per runtime and write docs/benchmarks.md;
                            bench restart, bench --scenario ingress|sse|fanout|all (aegis bench --help)
                  login     get an access token from the identity provider the API trusts:
                            --issuer URL --client-id ID, the secret in AEGIS_CLIENT_SECRET or
                            --client-secret-file F (client credentials), or --device (for people)
                  token     print a fresh access token (renewed when needed): curl -H "Authorization:
                            Bearer $(aegis token)" ...
                  logout    forget the stored token
                  test      run the test suite (handled by the wrapper script)

                options:
                  --config FILE              YAML configuration (also AEGIS_CONFIG)
                  --data-dir DIR             data directory (default ~/.aegis; also AEGIS_DATA_DIR)
                  --port N                   public API port (default 8080; also AEGIS_INGRESS_PORT)
                  --bootstrap-servers LIST   use this Kafka cluster instead of the embedded broker
                  --internal-port N          the worker's dispatch-gateway port (default 8081)
                  --runtime NAME             auto (default), docker, bubblewrap or process
                  --stream-port N            also serve the event streams on this port, on non-blocking
                                             sockets (~1 KiB per idle stream; default: none)
                  --insecure-no-auth         no authentication at all (warned at every start and in
                                             /health/ready); for a machine nobody else can reach
                """);
    }
}
