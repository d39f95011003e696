package ai.aegis.testing;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** A child that outlives its test JVM would hold ports and memory: it ends when its parent's pipe closes. */
class WhileParentLivesTest {

    /** A main class that would run forever. */
    public static final class Forever {
        public static void main(String[] args) throws InterruptedException {
            new java.util.concurrent.CountDownLatch(1).await();
        }
    }

    @Test
    void theChildEndsWhenItsStandardInputCloses() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Process child = new ProcessBuilder(java, "-cp", classpath, WhileParentLives.class.getName(),
                Forever.class.getName()).redirectErrorStream(true).start();
        try {
            assertThat(child.isAlive()).isTrue();
            child.getOutputStream().close(); // what the parent's death does to the pipe
            assertThat(child.waitFor(Duration.ofSeconds(60).toMillis(), TimeUnit.MILLISECONDS)).isTrue();
            assertThat(child.exitValue()).isEqualTo(3);
        } finally {
            child.destroyForcibly();
        }
    }
}
