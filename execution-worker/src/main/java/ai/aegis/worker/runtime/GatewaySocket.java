package ai.aegis.worker.runtime;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * A Unix socket that forwards every connection to the dispatch gateway's TCP listener. Bind-mounted into a sandbox
 * that has no network, it is the agent's only way out: it reaches the gateway and nothing else. One per iteration;
 * closing it cuts the sandbox off.
 */
public final class GatewaySocket implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(GatewaySocket.class.getName());

    private final Path file;
    private final ServerSocketChannel server;
    private final InetSocketAddress target;
    private volatile boolean open = true;

    private GatewaySocket(Path file, ServerSocketChannel server, InetSocketAddress target) {
        this.file = file;
        this.server = server;
        this.target = target;
    }

    /**
     * Listens on {@code file} (created world-connectable: the sandbox's user is not the worker's) and forwards to
     * {@code target}.
     */
    public static GatewaySocket open(Path file, InetSocketAddress target) throws IOException {
        Files.deleteIfExists(file);
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(file));
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-rw-rw-"));
        GatewaySocket socket = new GatewaySocket(file, server, target);
        Thread.ofVirtual().name("gateway-socket-" + file.getFileName()).start(socket::acceptLoop);
        return socket;
    }

    public Path file() {
        return file;
    }

    private void acceptLoop() {
        while (open) {
            try {
                SocketChannel client = server.accept();
                Thread.ofVirtual().start(() -> forward(client));
            } catch (IOException e) {
                if (open) {
                    LOG.log(System.Logger.Level.WARNING, "gateway socket " + file + " stopped accepting: " + e);
                }
                return;
            }
        }
    }

    private void forward(SocketChannel client) {
        try (client; SocketChannel upstream = SocketChannel.open(target)) {
            Thread back = Thread.ofVirtual().start(() -> pump(upstream, client));
            pump(client, upstream);
            back.join();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "gateway socket connection ended: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Copies until end of stream, then half-closes the other side so HTTP/1.1 request/response completes. */
    private static void pump(SocketChannel from, SocketChannel to) {
        ByteBuffer buffer = ByteBuffer.allocate(16 * 1024);
        try {
            while (from.read(buffer) >= 0) {
                buffer.flip();
                while (buffer.hasRemaining()) {
                    to.write(buffer);
                }
                buffer.clear();
            }
            to.shutdownOutput();
        } catch (IOException ignored) {
            // the peer went away: the connection is over
        }
    }

    @Override
    public void close() {
        open = false;
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // a leftover socket file in a temporary directory is harmless
        }
    }
}
