package ai.aegis.worker.execution;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Runs on one worker: one per execution, a newer attempt supersedes an older one still here. */
class ExecutionControlsTest {

    private final ExecutionControls controls = new ExecutionControls();

    @Test
    void aDuplicateOfTheSameAttemptIsRefusedAndANewerAttemptSupersedesTheOlder() {
        ExecutionControl first = controls.register("e", 1, ExecutionControl.Lease.HELD).orElseThrow();
        assertThat(controls.register("e", 1, ExecutionControl.Lease.HELD)).isEmpty();

        ExecutionControl second = controls.register("e", 2, ExecutionControl.Lease.HELD).orElseThrow();
        assertThat(first.superseded()).isTrue();
        assertThat(first.stop()).isEqualTo(ExecutionControl.Stop.ABANDON);
        assertThat(second.superseded()).isFalse();
        assertThat(controls.get("e")).containsSame(second);
        assertThat(controls.register("e", 1, ExecutionControl.Lease.HELD)).isEmpty();

        controls.unregister(first); // the superseded one stopping does not remove the newer one
        assertThat(controls.get("e")).containsSame(second);
        controls.unregister(second);
        assertThat(controls.get("e")).isEmpty();
    }

    @Test
    void aCancelThatCameFirstCancelsTheRunWhenItRegisters() {
        controls.cancel("e", "user asked");
        ExecutionControl run = controls.register("e", 2, ExecutionControl.Lease.HELD).orElseThrow();
        assertThat(run.stop()).isEqualTo(ExecutionControl.Stop.CANCEL);
        assertThat(run.attempt()).isEqualTo(2);
    }

    @Test
    void aLostLeaseSupersedesTheRun() throws Exception {
        ExecutionControl run = controls.register("e", 1, () -> false).orElseThrow();
        assertThat(run.confirmLease()).isFalse();
        assertThat(run.superseded()).isTrue();
        assertThat(run.confirmLease()).isFalse();
    }
}
