package ai.aegis.worker.runtime;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The dispatch socket on the real file system, with connections from real processes of different users. */
class GatewaySocketTest {

    /** A uid that is not the worker's: the sandbox's user as the Docker runtime has it, in a test. */
    private static final String SANDBOX_UID = "4242";

    @TempDir
    Path dir;

    @Test
    void byDefaultTheSocketIsTheWorkersOwnAndForwardsItsConnections() throws Exception {
        try (ServerSocket upstream = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
             GatewaySocket socket = GatewaySocket.open(dir.resolve("own.sock"), address(upstream))) {

            assertThat(Files.getPosixFilePermissions(socket.file()))
                    .isEqualTo(PosixFilePermissions.fromString("rw-------"));
            assertThat(socket.client()).isEqualTo(Files.getOwner(dir));
            try (SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(socket.file()))) {
                client.write(ByteBuffer.wrap("hello".getBytes(StandardCharsets.UTF_8)));
                upstream.setSoTimeout(10_000);
                try (Socket forwarded = upstream.accept()) {
                    assertThat(new String(forwarded.getInputStream().readNBytes(5), StandardCharsets.UTF_8))
                            .isEqualTo("hello");
                }
            }
        }
    }

    @Test
    void onlyTheSandboxsUserGetsThroughEvenWhenAnotherUserReachesTheFile() throws Exception {
        Assumptions.assumeTrue(Files.getOwner(dir).getName().equals("root"),
                "giving the socket to another uid, and connecting as one, needs root (CI runs the tests as root)");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x")); // uid 4242 must reach it
        UserPrincipal sandboxUser = FileSystems.getDefault().getUserPrincipalLookupService()
                .lookupPrincipalByName(SANDBOX_UID);
        try (ServerSocket upstream = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
             GatewaySocket socket = GatewaySocket.open(dir.resolve("gw.sock"), address(upstream), sandboxUser)) {

            assertThat(Files.getOwner(socket.file())).isEqualTo(sandboxUser);
            assertThat(Files.getPosixFilePermissions(socket.file()))
                    .isEqualTo(PosixFilePermissions.fromString("rw-------"));

            // This JVM runs as root: the file's mode does not stop it, the peer check must.
            try (SocketChannel intruder = SocketChannel.open(UnixDomainSocketAddress.of(socket.file()))) {
                try {
                    intruder.write(ByteBuffer.wrap("let me in".getBytes(StandardCharsets.UTF_8)));
                } catch (java.io.IOException closedAlready) {
                    // the gateway may close the connection before the intruder has written anything ("Broken pipe")
                }
                CompletableFuture<Integer> read = CompletableFuture.supplyAsync(() -> {
                    try {
                        return intruder.read(ByteBuffer.allocate(16));
                    } catch (Exception e) {
                        return -2;
                    }
                });
                assertThat(read.get(10, TimeUnit.SECONDS)).as("the connection is closed on the intruder")
                        .isNegative();
            }
            upstream.setSoTimeout(300);
            assertThatThrownBy(upstream::accept).as("nothing reached the gateway")
                    .isInstanceOf(SocketTimeoutException.class);

            Process sandbox = new ProcessBuilder("/usr/bin/setpriv", "--reuid", SANDBOX_UID, "--regid", SANDBOX_UID,
                    "--clear-groups", "/usr/bin/python3", "-c",
                    "import socket, sys; s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]);"
                            + " s.sendall(b'from the sandbox'); s.shutdown(socket.SHUT_WR); s.recv(1)",
                    socket.file().toString()).redirectErrorStream(true).start();
            upstream.setSoTimeout(10_000);
            try (Socket forwarded = upstream.accept(); InputStream in = forwarded.getInputStream()) {
                assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("from the sandbox");
            }
            assertThat(sandbox.waitFor(10, TimeUnit.SECONDS)).isTrue();
            assertThat(sandbox.exitValue()).as(new String(sandbox.getInputStream().readAllBytes())).isZero();
        }
    }

    private static InetSocketAddress address(ServerSocket server) {
        return new InetSocketAddress(server.getInetAddress(), server.getLocalPort());
    }
}
