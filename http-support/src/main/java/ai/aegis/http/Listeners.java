package ai.aegis.http;

import io.helidon.webserver.WebServer;
import io.helidon.webserver.WebServerConfig;

/** Starting a Helidon listener so that a failure to bind is a failure, not a log line. */
public final class Listeners {

    private Listeners() {
    }

    /**
     * Builds and starts the server. Helidon does not throw when its listener cannot bind (a taken port, an address
     * the host does not have): it logs why, stops and returns a server that is not running. A service that went on
     * would report itself up on a port nobody serves, so this throws instead.
     *
     * @param name what the listener is, for the message ("the ingress", "the worker's internal listener")
     * @throws IllegalStateException when the server is not running after its start
     */
    public static WebServer start(WebServerConfig.Builder builder, String name, String host, int port) {
        WebServer server = builder.host(host).port(port).build().start();
        if (!server.isRunning()) {
            throw new IllegalStateException(name + " cannot listen on " + host + ":" + port
                    + " (the log says why; is the port taken?)");
        }
        return server;
    }
}
