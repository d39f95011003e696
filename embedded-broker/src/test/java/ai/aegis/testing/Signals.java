package ai.aegis.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The faults a test inflicts on another process, as the kernel delivers them: SIGKILL (no shutdown hook, no
 * goodbye), SIGSTOP and SIGCONT (a process frozen in place, as by a long GC pause or a suspended VM). For brokers
 * ({@link BrokerCluster}) and for services run as their own processes.
 */
public final class Signals {

    private static final Duration EXIT_WAIT = Duration.ofSeconds(30);

    private Signals() {
    }

    /** SIGKILL, then waits until the process is gone. */
    public static void kill(ProcessHandle process) {
        process.destroyForcibly();
        awaitExit(process, EXIT_WAIT);
    }

    /** SIGSTOP: the process stops where it is, its sockets stay open, it answers nothing. */
    public static void pause(ProcessHandle process) {
        send("STOP", process);
    }

    /** SIGCONT: a paused process runs on as if no time had passed, for it. */
    public static void resume(ProcessHandle process) {
        send("CONT", process);
    }

    /** Waits until the process has exited. */
    public static void awaitExit(ProcessHandle process, Duration within) {
        try {
            process.onExit().get(within.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new IllegalStateException("process " + process.pid() + " still runs " + within.toSeconds()
                    + " s after it was told to end", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot wait for process " + process.pid(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for process " + process.pid(), e);
        }
    }

    private static void send(String signal, ProcessHandle process) {
        if (!process.isAlive()) {
            throw new IllegalStateException("process " + process.pid() + " is not running");
        }
        // The JDK sends only TERM and KILL; kill(1) sends the others.
        try {
            Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid()))
                    .redirectErrorStream(true).start();
            String output = new String(kill.getInputStream().readAllBytes());
            if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
                throw new IllegalStateException("kill -" + signal + " " + process.pid() + " failed: " + output);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run kill -" + signal, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while sending SIG" + signal, e);
        }
    }
}
