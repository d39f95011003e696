package ai.aegis.worker.execution;

import ai.aegis.schemas.workflow.WorkflowStepResult;

/** Tells the workflow engine that an execution it started has ended (durably: the workflow waits for it). */
@FunctionalInterface
public interface StepReporter {

    void report(WorkflowStepResult result) throws Exception;
}
