package ai.aegis.http;

import io.helidon.common.socket.SocketOptions;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.WebServerConfig;

/**
 * Starting a Helidon listener the one way every listener of the system starts: with {@code TCP_NODELAY} on its
 * connections, and so that a failure to bind is a failure, not a log line.
 */
public final class Listeners {

    private Listeners() {
    }

    /**
     * Builds and starts the server. Helidon does not throw when its listener cannot bind (a taken port, an address
     * the host does not have): it logs why, stops and returns a server that is not running. A service that went on
     * would report itself up on a port nobody serves, so this throws instead.
     *
     * <p>Every accepted connection gets {@code TCP_NODELAY}, whatever connection options the builder already has.
     * Helidon's default leaves Nagle's algorithm on, and Helidon writes a streamed response's headers and its first
     * chunk as two writes: the second then waits for the client to acknowledge the first, which a client delays by
     * about 40 ms. Every event stream (and any streamed answer) opened on a reused connection began 40 ms late. The
     * system writes whole frames and flushes them on purpose, so there is nothing for Nagle to coalesce.
     *
     * @param name what the listener is, for the message ("the ingress", "the worker's internal listener")
     * @throws IllegalStateException when the server is not running after its start
     */
    public static WebServer start(WebServerConfig.Builder builder, String name, String host, int port) {
        SocketOptions.Builder options = SocketOptions.builder();
        builder.connectionOptions().ifPresent(options::from);
        WebServer server = builder.connectionOptions(options.tcpNoDelay(true).build())
                .host(host).port(port).build().start();
        if (!server.isRunning()) {
            throw new IllegalStateException(name + " cannot listen on " + host + ":" + port
                    + " (the log says why; is the port taken?)");
        }
        return server;
    }
}
