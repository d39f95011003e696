package ai.aegis.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Command-line options shared by the service commands. Apart from {@code --config}, each is a configuration key
 * ({@link #overrides()}) that wins over the configuration file and the environment.
 */
record Options(Optional<Path> config, Optional<Path> dataDir, Optional<Integer> port,
               Optional<String> bootstrapServers, Optional<Integer> internalPort, Optional<String> runtime,
               Optional<Integer> streamPort, boolean insecureNoAuth) {

    static Options parse(String[] args) {
        Optional<Path> config = Optional.empty();
        Optional<Path> dataDir = Optional.empty();
        Optional<Integer> port = Optional.empty();
        Optional<String> servers = Optional.empty();
        Optional<Integer> internalPort = Optional.empty();
        Optional<String> runtime = Optional.empty();
        Optional<Integer> streamPort = Optional.empty();
        boolean insecureNoAuth = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--insecure-no-auth")) {
                insecureNoAuth = true; // a flag: takes no value
                continue;
            }
            String value = i + 1 < args.length ? args[i + 1] : null;
            switch (a) {
                case "--config" -> config = Optional.of(Path.of(need(a, value)));
                case "--data-dir" -> dataDir = Optional.of(Path.of(need(a, value)));
                case "--port" -> port = Optional.of(number(a, need(a, value)));
                case "--bootstrap-servers" -> servers = Optional.of(need(a, value));
                case "--internal-port" -> internalPort = Optional.of(number(a, need(a, value)));
                case "--runtime" -> runtime = Optional.of(need(a, value));
                case "--stream-port" -> streamPort = Optional.of(number(a, need(a, value)));
                default -> throw new IllegalArgumentException("unknown option '" + a + "' (see aegis --help)");
            }
            i++;
        }
        return new Options(config, dataDir, port, servers, internalPort, runtime, streamPort, insecureNoAuth);
    }

    /** The options given, as the configuration keys they set. */
    Map<String, String> overrides() {
        Map<String, String> keys = new LinkedHashMap<>();
        dataDir.ifPresent(d -> keys.put("aegis.data-dir", d.toString()));
        port.ifPresent(p -> keys.put("aegis.ingress.port", Integer.toString(p)));
        bootstrapServers.ifPresent(s -> keys.put("aegis.kafka.bootstrap-servers", s));
        internalPort.ifPresent(p -> keys.put("aegis.worker.internal-port", Integer.toString(p)));
        runtime.ifPresent(r -> keys.put("aegis.worker.runtime", r));
        streamPort.ifPresent(p -> keys.put("aegis.ingress.stream-port", Integer.toString(p)));
        if (insecureNoAuth) {
            keys.put("aegis.auth.mode", "none");
        }
        return keys;
    }

    private static String need(String option, String value) {
        if (value == null || value.startsWith("--")) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return value;
    }

    private static int number(String option, String value) {
        try {
            int n = Integer.parseInt(value);
            if (n < 0 || n > 65535) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " must be a port number (got '" + value + "')");
        }
    }
}
