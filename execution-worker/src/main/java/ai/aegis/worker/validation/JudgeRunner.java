package ai.aegis.worker.validation;

import java.time.Duration;

/**
 * Runs a judge agent on a payload and returns what it printed. The worker implements this by starting the judge as a
 * child execution; validation itself only needs the text back, so it stays free of Kafka and container types.
 */
@FunctionalInterface
public interface JudgeRunner {

    /**
     * @param judgeAgent  the judge agent's name, as written in the manifest
     * @param payloadJson the judge's input: {@code {task, output, criteria, validation_context}}
     * @param timeout     how long the judge may take
     * @return the judge's final output (expected to hold a GradientResult JSON object)
     * @throws JudgeException       the judge could not run, failed or timed out
     * @throws InterruptedException the caller is being cancelled
     */
    String judge(String judgeAgent, String payloadJson, Duration timeout) throws JudgeException, InterruptedException;
}
