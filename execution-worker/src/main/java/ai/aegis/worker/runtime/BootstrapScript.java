package ai.aegis.worker.runtime;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The {@code bootstrap.py} that every sandbox runs: shipped as a class-path resource so that each runtime can place it
 * wherever its sandbox expects it (copied into a container, bind-mounted, or written next to a process workspace).
 *
 * <p>Its prompt is a file in the sandbox's input directory ({@value #PROMPT_FILE} among {@link SandboxSpec#files()},
 * the directory named by {@code AEGIS_INPUT_DIR}), not an argument: every user of the host can read a process's
 * arguments in {@code /proc/PID/cmdline}, and the kernel refuses any single argument or environment string over
 * 128 KiB, while an execution's input may be larger. The rest comes in the environment (the history of earlier
 * iterations is capped well below that limit).
 */
public final class BootstrapScript {

    /** Where the script is inside a sandbox; specs name this path in their argv and runtimes map it. */
    public static final String SANDBOX_PATH = "/aegis/bootstrap.py";

    /** The file name runtimes give the extracted script. */
    public static final String FILE_NAME = "bootstrap.py";

    /** The input file holding the task's prompt. */
    public static final String PROMPT_FILE = "prompt";

    private static final ScriptResource SCRIPT = new ScriptResource(FILE_NAME);

    private BootstrapScript() {
    }

    /** The script's bytes (a fresh copy on every call). */
    public static byte[] bytes() {
        return SCRIPT.bytes();
    }

    /**
     * Writes the script into {@code dir} (created if needed) as {@value #FILE_NAME}, readable but not writable by
     * others, replacing any file already there.
     *
     * @return the written file
     */
    public static Path extractTo(Path dir) throws IOException {
        return SCRIPT.extractTo(dir);
    }
}
