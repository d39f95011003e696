package ai.aegis.cli.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The fanout scenario's idle subscribers, run as a child JVM so that the server's heap is measured alone: one
 * thread and one selector hold thousands of SSE streams over raw HTTP/1.1 sockets, check that each was answered
 * {@code 200}, and read and discard whatever comes after (the {@code : connected} comment, heartbeats, events).
 *
 * <p>Driven line by line on stdin: {@code open N} opens streams until N are held (spread over the execution ids
 * given as arguments) and answers {@code open N ok=... refused=... closed=...} on stdout once every new one was
 * answered; end of input closes everything and exits.
 *
 * <pre>java -cp ... ai.aegis.cli.bench.IdleStreams HOST PORT TOKEN ID[,ID...]</pre>
 */
public final class IdleStreams {

    /** Connections being set up at once: the server's accept backlog is not the thing measured. */
    private static final int IN_FLIGHT = 200;
    private static final byte[] OK = "HTTP/1.1 200".getBytes(StandardCharsets.US_ASCII);

    /** One stream: its request, and the first bytes of the answer until the status line is known. */
    private static final class Conn {
        final ByteBuffer request;
        final ByteBuffer status = ByteBuffer.allocate(OK.length);
        boolean answered;

        Conn(byte[] request) {
            this.request = ByteBuffer.wrap(request);
        }
    }

    private final InetSocketAddress server;
    private final List<byte[]> requests;
    private final Selector selector;
    private volatile int target;
    private int started;
    private int inFlight;
    private int ok;
    private int refused;
    private int closed;
    private int reported;

    private IdleStreams(InetSocketAddress server, List<byte[]> requests) throws IOException {
        this.server = server;
        this.requests = requests;
        this.selector = Selector.open();
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 4) {
            System.err.println("usage: IdleStreams HOST PORT TOKEN ID[,ID...]");
            System.exit(2);
        }
        String host = args[0];
        int port = Integer.parseInt(args[1]);
        List<byte[]> requests = List.of(args[3].split(",")).stream().map(id -> ("GET /v1/executions/" + id
                + "/stream HTTP/1.1\r\nHost: " + host + ":" + port + "\r\nAuthorization: Bearer " + args[2]
                + "\r\nAccept: text/event-stream\r\n\r\n").getBytes(StandardCharsets.US_ASCII)).toList();
        IdleStreams streams = new IdleStreams(new InetSocketAddress(host, port), requests);
        Thread loop = Thread.ofPlatform().daemon().name("idle-streams").start(streams::loop);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            if (line.startsWith("open ")) {
                streams.target = Integer.parseInt(line.substring(5).trim());
                streams.selector.wakeup();
            }
        }
        // the parent closed our stdin (or died): the process exit closes every socket
        loop.interrupt();
        System.exit(0);
    }

    private void loop() {
        ByteBuffer discard = ByteBuffer.allocateDirect(64 * 1024);
        try {
            while (!Thread.currentThread().isInterrupted()) {
                while (started < target && inFlight < IN_FLIGHT) {
                    SocketChannel ch = SocketChannel.open();
                    ch.configureBlocking(false);
                    ch.connect(server);
                    ch.register(selector, SelectionKey.OP_CONNECT, new Conn(requests.get(started % requests.size())));
                    started++;
                    inFlight++;
                }
                if (reported != target && ok + refused == target) {
                    reported = target;
                    System.out.println("open " + target + " ok=" + ok + " refused=" + refused + " closed=" + closed);
                    System.out.flush();
                }
                selector.select(1000);
                for (SelectionKey key : selector.selectedKeys()) {
                    handle(key, discard);
                }
                selector.selectedKeys().clear();
            }
        } catch (IOException e) {
            System.out.println("failed " + e);
            System.out.flush();
        }
    }

    private void handle(SelectionKey key, ByteBuffer discard) {
        SocketChannel ch = (SocketChannel) key.channel();
        Conn conn = (Conn) key.attachment();
        try {
            if (key.isConnectable()) {
                ch.finishConnect();
                key.interestOps(SelectionKey.OP_WRITE);
            } else if (key.isWritable()) {
                ch.write(conn.request);
                if (!conn.request.hasRemaining()) {
                    key.interestOps(SelectionKey.OP_READ);
                }
            } else if (key.isReadable()) {
                discard.clear();
                int n = ch.read(discard);
                if (n < 0) {
                    end(key, conn);
                    return;
                }
                if (!conn.answered) {
                    discard.flip();
                    while (discard.hasRemaining() && conn.status.hasRemaining()) {
                        conn.status.put(discard.get());
                    }
                    if (!conn.status.hasRemaining()) {
                        conn.answered = true;
                        inFlight--;
                        if (java.util.Arrays.equals(conn.status.array(), OK)) {
                            ok++;
                        } else {
                            refused++;
                            key.cancel();
                            ch.close();
                        }
                    }
                }
            }
        } catch (IOException e) {
            end(key, conn);
        }
    }

    /** The server closed the stream, or the connection failed. */
    private void end(SelectionKey key, Conn conn) {
        key.cancel();
        try {
            key.channel().close();
        } catch (IOException ignored) {
            // closing a socket that is already gone
        }
        if (conn.answered) {
            closed++;
        } else {
            conn.answered = true;
            inFlight--;
            refused++;
        }
    }
}
