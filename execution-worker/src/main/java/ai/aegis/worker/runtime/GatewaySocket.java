package ai.aegis.worker.runtime;

import jdk.net.ExtendedSocketOptions;

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
import java.nio.file.attribute.UserPrincipal;
import java.util.Objects;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A Unix socket that forwards every connection to the dispatch gateway's TCP listener. Bind-mounted into a sandbox
 * that has no network, it is the agent's only way out: it reaches the gateway and nothing else. One per iteration;
 * closing it cuts the sandbox off.
 *
 * <p>Only the sandbox's user gets through, twice over: the socket file is {@code rw-------} and owned by that user
 * (when the worker may hand it over: it must be root to give it to another user than itself), and every connection
 * whose peer credentials ({@code SO_PEERCRED}) name another user is closed before a byte is forwarded. A connection
 * from a process of another uid that reaches the file anyway (root, or a world-connectable file because the worker
 * could not hand it over) is therefore refused all the same.
 */
public final class GatewaySocket implements AutoCloseable {

    /** Connections one sandbox may hold open at once; bootstrap.py uses one at a time. */
    static final int MAX_CONNECTIONS = 16;

    private static final System.Logger LOG = System.getLogger(GatewaySocket.class.getName());

    private final Path file;
    private final ServerSocketChannel server;
    private final InetSocketAddress target;
    private final UserPrincipal client;
    private final Semaphore connections = new Semaphore(MAX_CONNECTIONS);
    private final AtomicBoolean warnedRefusal = new AtomicBoolean();
    private volatile boolean open = true;

    private GatewaySocket(Path file, ServerSocketChannel server, InetSocketAddress target, UserPrincipal client) {
        this.file = file;
        this.server = server;
        this.target = target;
        this.client = client;
    }

    /** Listens on {@code file} for processes of the worker's own user (the process runtime, bubblewrap's sandboxes). */
    public static GatewaySocket open(Path file, InetSocketAddress target) throws IOException {
        return open(file, target, null);
    }

    /**
     * Listens on {@code file} and forwards to {@code target}, for processes of {@code client} only.
     *
     * @param client the host user the sandbox's processes run as ({@link ContainerRuntime#gatewayClient()}); null
     *               for the worker's own user
     */
    public static GatewaySocket open(Path file, InetSocketAddress target, UserPrincipal client) throws IOException {
        Files.deleteIfExists(file);
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            server.bind(UnixDomainSocketAddress.of(file));
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
            UserPrincipal owner = Files.getOwner(file);
            UserPrincipal allowed = client == null ? owner : client;
            if (!allowed.equals(owner)) {
                handOver(file, allowed);
            }
            GatewaySocket socket = new GatewaySocket(file, server, target, allowed);
            Thread.ofVirtual().name("gateway-socket-" + file.getFileName()).start(socket::acceptLoop);
            return socket;
        } catch (IOException | RuntimeException e) {
            server.close();
            Files.deleteIfExists(file);
            throw e;
        }
    }

    /**
     * Gives the socket file to the sandbox's user. Only root may; any other worker leaves it connectable by all and
     * relies on the peer check (the worker's private directory around it still keeps other host users away).
     */
    private static void handOver(Path file, UserPrincipal user) throws IOException {
        try {
            Files.setOwner(file, user);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "cannot give " + file + " to " + user.getName()
                    + " (the worker is not root): the socket admits other users' connections only to close them");
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-rw-rw-"));
        }
    }

    public Path file() {
        return file;
    }

    /** The one user whose connections are forwarded. */
    public UserPrincipal client() {
        return client;
    }

    private void acceptLoop() {
        while (open) {
            SocketChannel accepted;
            try {
                accepted = server.accept();
            } catch (IOException e) {
                if (open) {
                    LOG.log(System.Logger.Level.WARNING, "gateway socket " + file + " stopped accepting: " + e);
                }
                return;
            }
            if (!admitted(accepted)) {
                closeQuietly(accepted);
            } else if (!connections.tryAcquire()) {
                LOG.log(System.Logger.Level.DEBUG, "gateway socket " + file + ": more than " + MAX_CONNECTIONS
                        + " connections at once, one refused");
                closeQuietly(accepted);
            } else {
                Thread.ofVirtual().start(() -> {
                    try {
                        forward(accepted);
                    } finally {
                        connections.release();
                    }
                });
            }
        }
    }

    private boolean admitted(SocketChannel channel) {
        UserPrincipal peer;
        try {
            peer = channel.getOption(ExtendedSocketOptions.SO_PEERCRED).user();
        } catch (IOException | UnsupportedOperationException e) {
            LOG.log(System.Logger.Level.WARNING, "gateway socket " + file + ": cannot read a peer's credentials,"
                    + " connection refused: " + e);
            return false;
        }
        if (Objects.equals(peer, client)) {
            return true;
        }
        if (warnedRefusal.compareAndSet(false, true)) {
            LOG.log(System.Logger.Level.WARNING, "gateway socket " + file + " refused a connection from user "
                    + peer.getName() + ": it admits only " + client.getName());
        }
        return false;
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

    private static void closeQuietly(SocketChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // refused anyway
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
