package ai.aegis.topology.stimulus;

import ai.aegis.schemas.stimulus.RoutingMode;
import ai.aegis.schemas.stimulus.StimulusKeys;
import ai.aegis.schemas.stimulus.StimulusOutcome;
import ai.aegis.schemas.stimulus.StimulusReply;
import ai.aegis.schemas.stimulus.StimulusRequest;
import ai.aegis.schemas.stimulus.StimulusStatus;
import ai.aegis.topology.stimulus.StimulusReadModel.Filter;
import ai.aegis.topology.stimulus.StimulusReadModel.StimulusView;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The node's bounded view of stimuli: what was received, what became of it, in either order, the latest kept. */
class StimulusReadModelTest {

    private static final Instant T0 = Instant.parse("2026-03-05T14:00:00Z");

    private static StimulusRequest request(String id, String source, String key, int second) {
        return new StimulusRequest(id, source, key, "héllo", StimulusRequest.UTF_8, Map.of(), T0.plusSeconds(second),
                null);
    }

    private static StimulusOutcome refused(StimulusRequest r) {
        String key = StimulusKeys.recordKey(r);
        return new StimulusOutcome(key, r.stimulusId(), StimulusStatus.REFUSED, r.receivedAt().plusMillis(5),
                r.source(), null, null, null, null, null,
                new StimulusReply.ReplyError("no_router_configured", "no route"), null);
    }

    private static StimulusOutcome accepted(StimulusRequest r, String run) {
        String key = StimulusKeys.recordKey(r);
        return new StimulusOutcome(key, r.stimulusId(), StimulusStatus.ACCEPTED, r.receivedAt().plusMillis(5),
                r.source(), RoutingMode.DIRECT, "triage", run, null, null, null, null);
    }

    @Test
    void aStimulusIsShownAsReceivedThenWithItsDecisionWhicheverComesFirst() {
        StimulusReadModel view = new StimulusReadModel(10);
        StimulusRequest a = request("a", "github", "k-a", 0);
        view.onRequest(a, 2, 41);
        assertThat(view.get("a").orElseThrow().status()).isNull();
        assertThat(view.list(new Filter(null, "received", null, null), 10)).extracting(StimulusView::stimulusId)
                .containsExactly("a");
        view.onOutcome(accepted(a, "run-1"));
        StimulusView shown = view.get("a").orElseThrow();
        assertThat(shown.status()).isEqualTo(StimulusStatus.ACCEPTED);
        assertThat(shown.workflowExecutionId()).isEqualTo("run-1");
        assertThat(shown.contentBytes()).isEqualTo("héllo".getBytes(java.nio.charset.StandardCharsets.UTF_8).length);
        assertThat(shown.requestPartition()).isEqualTo(2);
        assertThat(shown.requestOffset()).isEqualTo(41);
        assertThat(shown.recordKey()).isEqualTo(StimulusKeys.dedupKey("github", "k-a"));

        // the outcome first (another topic, read in no order relative to the requests), then the request
        StimulusRequest b = request("b", "github", "k-b", 1);
        view.onOutcome(refused(b));
        assertThat(view.get("b").orElseThrow().received()).isFalse();
        view.onRequest(b, 0, 7);
        StimulusView both = view.get("b").orElseThrow();
        assertThat(both.status()).isEqualTo(StimulusStatus.REFUSED);
        assertThat(both.received()).isTrue();
        assertThat(both.idempotencyKey()).isEqualTo("k-b");
        assertThat(both.error().code()).isEqualTo("no_router_configured");
    }

    @Test
    void itHoldsTheLatestStimuliAndForgetsTheOldestFirst() {
        StimulusReadModel view = new StimulusReadModel(3);
        for (int i = 0; i < 5; i++) {
            view.onRequest(request("s" + i, "github", null, i), 0, i);
        }
        assertThat(view.size()).isEqualTo(3);
        assertThat(view.forgotten()).isEqualTo(2);
        assertThat(view.get("s0")).isEmpty();
        assertThat(view.list(Filter.ALL, 10)).extracting(StimulusView::stimulusId).containsExactly("s4", "s3", "s2");
        assertThat(view.list(Filter.ALL, 2)).extracting(StimulusView::stimulusId).containsExactly("s4", "s3");
        assertThatThrownBy(() -> new StimulusReadModel(0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theListFiltersBySourceStatusAndTime() {
        StimulusReadModel view = new StimulusReadModel(10);
        StimulusRequest a = request("a", "github", null, 0);
        StimulusRequest b = request("b", "stripe", null, 10);
        StimulusRequest c = request("c", "github", null, 20);
        for (StimulusRequest r : new StimulusRequest[] {a, b, c}) {
            view.onRequest(r, 0, 0);
        }
        view.onOutcome(refused(a));
        view.onOutcome(accepted(b, "run-b"));
        view.onOutcome(StimulusOutcome.duplicate(StimulusKeys.recordKey(c), "c", "github", "a", T0));

        assertThat(view.list(new Filter("github", null, null, null), 10)).extracting(StimulusView::stimulusId)
                .containsExactly("c", "a");
        assertThat(view.list(new Filter(null, "failed", null, null), 10)).extracting(StimulusView::stimulusId)
                .containsExactly("a");
        assertThat(view.list(new Filter(null, "duplicate", null, null), 10)).singleElement()
                .satisfies(v -> assertThat(v.originalStimulusId()).isEqualTo("a"));
        assertThat(view.list(new Filter(null, null, T0.plusSeconds(10), T0.plusSeconds(20)), 10))
                .extracting(StimulusView::stimulusId).containsExactly("b");
    }

    @Test
    void aFailedStimulusIsReplayableUntilItIsReplayedAndOnlyIfItsRequestWasSeen() {
        StimulusReadModel view = new StimulusReadModel(10);
        StimulusRequest a = request("a", "github", "k", 0);
        StimulusRequest unseen = request("u", "github", "k-u", 1);
        view.onRequest(a, 0, 3);
        view.onOutcome(refused(a));
        view.onOutcome(refused(unseen));
        view.onRequest(request("ok", "github", null, 2), 0, 4);
        view.onOutcome(accepted(request("ok", "github", null, 2), "run"));

        assertThat(view.replayable(Filter.ALL, 10)).extracting(StimulusView::stimulusId).containsExactly("a");
        assertThat(view.replayable(new Filter("stripe", null, null, null), 10)).isEmpty();

        StimulusRequest replay = a.replay("a2", T0.plusSeconds(60), null);
        view.onRequest(replay, 1, 9);
        assertThat(view.get("a").orElseThrow().replayedBy()).isEqualTo("a2");
        assertThat(view.get("a2").orElseThrow().replayOf()).isEqualTo("a");
        assertThat(view.replayable(Filter.ALL, 10)).isEmpty();
        // the replay failing too makes it, not the original, the one to replay
        view.onOutcome(refused(replay));
        assertThat(view.replayable(Filter.ALL, 10)).extracting(StimulusView::stimulusId).containsExactly("a2");
    }
}
