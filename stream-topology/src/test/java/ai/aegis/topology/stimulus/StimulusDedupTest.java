package ai.aegis.topology.stimulus;

import ai.aegis.schemas.stimulus.StimulusKeys;
import ai.aegis.schemas.stimulus.StimulusOutcome;
import ai.aegis.schemas.stimulus.StimulusReply;
import ai.aegis.schemas.stimulus.StimulusRequest;
import ai.aegis.schemas.stimulus.StimulusStatus;
import ai.aegis.topology.stimulus.StimulusDedup.DeleteTimer;
import ai.aegis.topology.stimulus.StimulusDedup.Entry;
import ai.aegis.topology.stimulus.StimulusDedup.Forward;
import ai.aegis.topology.stimulus.StimulusDedup.Reply;
import ai.aegis.topology.stimulus.StimulusDedup.Result;
import ai.aegis.topology.stimulus.StimulusDedup.SetTimer;
import ai.aegis.topology.stimulus.StimulusDedup.Status;
import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The deduplication rules, directly: no Kafka. */
class StimulusDedupTest {

    private static final Instant T0 = Instant.parse("2026-03-05T14:00:00Z");
    private static final Instant REPLIED = Instant.parse("2026-03-05T15:30:00Z");
    private static final Duration WINDOW = Duration.ofHours(24);
    private static final Duration IN_FLIGHT = Duration.ofMinutes(5);
    private static final String KEY = StimulusKeys.dedupKey("github", "evt-1");

    private final StimulusDedup dedup = new StimulusDedup(WINDOW, IN_FLIGHT, Clock.fixed(REPLIED, ZoneOffset.UTC));

    private static StimulusRequest request(String idempotencyKey) {
        return new StimulusRequest(UUID.randomUUID().toString(), "github", idempotencyKey, "{}", StimulusRequest.UTF_8,
                Map.of(), T0, new StimulusRequest.ReplyTo("node-a", UUID.randomUUID().toString()));
    }

    private Result send(Entry current, StimulusRequest request, Instant now) {
        return dedup.apply(current, new StimulusDedup.Request(request), now);
    }

    private Result outcome(Entry current, String stimulusId, StimulusStatus outcome) {
        return dedup.apply(current, new StimulusDedup.Outcome(new StimulusOutcome(KEY, stimulusId, outcome, T0)),
                T0);
    }

    private static long millis(Instant at) {
        return at.toEpochMilli();
    }

    @Test
    void aFirstDeliveryGoesOnInFlightWithItsExpiryTimer() {
        StimulusRequest first = request("evt-1");

        Result result = send(null, first, T0);

        assertThat(result.entry()).isEqualTo(new Entry(first.stimulusId(), T0, Status.IN_FLIGHT));
        assertThat(result.effects()).containsExactly(new SetTimer(millis(T0.plus(WINDOW))), new Forward(first));
        assertThat(dedup.expiryMillis(result.entry())).isEqualTo(millis(T0.plus(WINDOW)));
    }

    @Test
    void aSecondDeliveryInFlightIsADuplicateNamingTheFirst() {
        StimulusRequest first = request("evt-1");
        StimulusRequest second = request("evt-1");
        Entry entry = send(null, first, T0).entry();

        Result result = send(entry, second, T0.plusSeconds(1));

        assertThat(result.entry()).isSameAs(entry);
        assertThat(result.forwarded()).isEmpty();
        assertThat(result.effects()).hasSize(2);
        assertThat(result.effects().getFirst()).isInstanceOfSatisfying(Reply.class, r -> {
            assertThat(r.to()).isEqualTo("node-a");
            assertThat(r.reply()).isEqualTo(StimulusReply.duplicate(second.replyTo().correlationId(),
                    second.stimulusId(), first.stimulusId(), REPLIED));
            assertThat(r.reply().error().code()).isEqualTo(StimulusReply.IDEMPOTENT_DUPLICATE);
        });
        // and the decision, for the readers of the outcomes topic
        assertThat(result.effects().get(1)).isEqualTo(new StimulusDedup.Decided(StimulusOutcome.duplicate(KEY,
                second.stimulusId(), "github", first.stimulusId(), REPLIED)));
    }

    @Test
    void anAcceptedDeliveryBlocksTheKeyForTheWholeWindowThenItGoesOnAgain() {
        StimulusRequest first = request("evt-1");
        Entry accepted = outcome(send(null, first, T0).entry(), first.stimulusId(), StimulusStatus.ACCEPTED).entry();
        assertThat(accepted).isEqualTo(new Entry(first.stimulusId(), T0, Status.ACCEPTED));

        Result late = send(accepted, request("evt-1"), T0.plus(WINDOW).minusMillis(1));
        assertThat(late.entry()).isSameAs(accepted);
        assertThat(late.replies()).singleElement()
                .satisfies(r -> assertThat(r.originalStimulusId()).isEqualTo(first.stimulusId()));

        StimulusRequest after = request("evt-1");
        Result next = send(accepted, after, T0.plus(WINDOW));
        assertThat(next.entry()).isEqualTo(new Entry(after.stimulusId(), T0.plus(WINDOW), Status.IN_FLIGHT));
        assertThat(next.effects()).containsExactly(new DeleteTimer(millis(T0.plus(WINDOW))),
                new SetTimer(millis(T0.plus(WINDOW).plus(WINDOW))), new Forward(after));
    }

    @Test
    void aRefusedFirstDeliveryDoesNotBlockARetry() {
        StimulusRequest first = request("evt-1");
        Entry refused = outcome(send(null, first, T0).entry(), first.stimulusId(), StimulusStatus.REFUSED).entry();
        assertThat(refused.status()).isEqualTo(Status.REFUSED);

        StimulusRequest retry = request("evt-1");
        Result result = send(refused, retry, T0.plusSeconds(30));

        assertThat(result.forwarded()).containsExactly(retry);
        assertThat(result.replies()).isEmpty();
        // the retry is the key's entry now, and its window counts from the retry
        assertThat(result.entry()).isEqualTo(new Entry(retry.stimulusId(), T0.plusSeconds(30), Status.IN_FLIGHT));
        assertThat(result.effects()).startsWith(new DeleteTimer(millis(T0.plus(WINDOW))),
                new SetTimer(millis(T0.plusSeconds(30).plus(WINDOW))));
    }

    @Test
    void anEntryInFlightPastTheTimeoutCountsAsRefused() {
        StimulusRequest lost = request("evt-1");
        Entry inFlight = send(null, lost, T0).entry();

        assertThat(send(inFlight, request("evt-1"), T0.plus(IN_FLIGHT).minusMillis(1)).replies()).hasSize(1);

        StimulusRequest retry = request("evt-1");
        Result result = send(inFlight, retry, T0.plus(IN_FLIGHT));
        assertThat(result.forwarded()).containsExactly(retry);
        assertThat(result.entry().stimulusId()).isEqualTo(retry.stimulusId());

        // the lost one's outcome, should it come after all, is of another stimulus now: ignored
        Result late = outcome(result.entry(), lost.stimulusId(), StimulusStatus.ACCEPTED);
        assertThat(late.entry()).isSameAs(result.entry());
        assertThat(late.effects()).isEmpty();
    }

    @Test
    void anAcceptedEntryNeverTimesOutLikeAnInFlightOne() {
        StimulusRequest first = request("evt-1");
        Entry accepted = outcome(send(null, first, T0).entry(), first.stimulusId(), StimulusStatus.ACCEPTED).entry();

        assertThat(send(accepted, request("evt-1"), T0.plus(IN_FLIGHT).plusSeconds(1)).replies()).hasSize(1);
    }

    @Test
    void requestsWithoutIdempotencyKeyAlwaysGoOnAndStoreNothing() {
        StimulusRequest a = request(null);

        Result result = send(null, a, T0);

        assertThat(result.entry()).isNull();
        assertThat(result.effects()).containsExactly(new Forward(a));
    }

    @Test
    void theSameStimulusReadAgainIsPassedOver() {
        StimulusRequest first = request("evt-1");
        Entry entry = send(null, first, T0).entry();

        Result again = send(entry, first, T0.plusSeconds(2));

        assertThat(again.entry()).isSameAs(entry);
        assertThat(again.effects()).isEmpty();
        Entry refused = outcome(entry, first.stimulusId(), StimulusStatus.REFUSED).entry();
        assertThat(send(refused, first, T0.plusSeconds(3)).effects()).isEmpty();
    }

    @Test
    void outcomesApplyOnlyToTheEntrysStimulusWhileInFlight() {
        StimulusRequest first = request("evt-1");
        Entry entry = send(null, first, T0).entry();

        // unknown key, another stimulus: nothing
        assertThat(outcome(null, first.stimulusId(), StimulusStatus.ACCEPTED).entry()).isNull();
        assertThat(outcome(entry, UUID.randomUUID().toString(), StimulusStatus.ACCEPTED).entry()).isSameAs(entry);
        // the first outcome wins; the window still counts from the first delivery
        Entry accepted = outcome(entry, first.stimulusId(), StimulusStatus.ACCEPTED).entry();
        assertThat(accepted.firstSeenAt()).isEqualTo(T0);
        assertThat(outcome(accepted, first.stimulusId(), StimulusStatus.REFUSED).entry()).isSameAs(accepted);
        // only accepted and refused move an entry
        assertThat(outcome(entry, first.stimulusId(), StimulusStatus.DUPLICATE).entry()).isSameAs(entry);
        assertThat(outcome(entry, first.stimulusId(), null).entry()).isSameAs(entry);
    }

    @Test
    void aDuplicateWithoutReplyToIsAnsweredToNobodyButRecorded() {
        StimulusRequest first = request("evt-1");
        Entry entry = send(null, first, T0).entry();
        StimulusRequest nobody = new StimulusRequest(UUID.randomUUID().toString(), "github", "evt-1", "", "utf-8",
                null, T0, null);

        Result result = send(entry, nobody, T0.plusSeconds(1));

        assertThat(result.entry()).isSameAs(entry);
        assertThat(result.effects()).containsExactly(new StimulusDedup.Decided(StimulusOutcome.duplicate(KEY,
                nobody.stimulusId(), "github", first.stimulusId(), REPLIED)));
    }

    @Test
    void theTimerPurgesOnlyAnExpiredEntry() {
        Entry entry = send(null, request("evt-1"), T0).entry();

        assertThat(dedup.apply(entry, new StimulusDedup.TimerDue(), T0.plus(WINDOW).minusMillis(1)).entry())
                .isSameAs(entry);
        Result purged = dedup.apply(entry, new StimulusDedup.TimerDue(), T0.plus(WINDOW));
        assertThat(purged.entry()).isNull();
        assertThat(purged.effects()).isEmpty();
        assertThat(dedup.apply(null, new StimulusDedup.TimerDue(), T0).entry()).isNull();
    }

    @Test
    void theSettingsAreChecked() {
        assertThat(StimulusDedup.defaults().window()).isEqualTo(Duration.ofHours(24));
        assertThat(StimulusDedup.defaults().inFlightTimeout()).isEqualTo(Duration.ofMinutes(15));
        // longer than the longest classification may take
        assertThat(StimulusDedup.defaults().inFlightTimeout())
                .isGreaterThan(Duration.ofSeconds(ai.aegis.schemas.stimulus.StimulusRouter.MAX_TIMEOUT_SECONDS));
        assertThatThrownBy(() -> new StimulusDedup(Duration.ZERO, IN_FLIGHT))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new StimulusDedup(WINDOW, Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new StimulusDedup(Duration.ofMinutes(1), Duration.ofMinutes(2)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new StimulusConfig(WINDOW, IN_FLIGHT, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(StimulusConfig.defaults()).isEqualTo(new StimulusConfig(Duration.ofHours(24),
                Duration.ofMinutes(15), Duration.ofSeconds(1)));
        // a window that reaches past what a long holds never expires, rather than overflowing into the past
        StimulusDedup forever = new StimulusDedup(Duration.ofMillis(Long.MAX_VALUE), IN_FLIGHT);
        Entry entry = new Entry("s", T0, Status.ACCEPTED);
        assertThat(forever.expiryMillis(entry)).isEqualTo(Long.MAX_VALUE);
        assertThat(forever.expired(entry, T0.plus(Duration.ofDays(365_000)))).isFalse();
    }

    @Test
    void theSettingsAreReadFromAegisStimuliWithTheDefaultsForWhatIsMissing() {
        Config stimuli = Config.just(ConfigSources.create(Map.of("aegis.stimuli.dedup-window-ms", "3600000",
                "aegis.stimuli.in-flight-timeout-ms", "60000"))).get("aegis.stimuli");

        StimulusConfig config = StimulusConfig.read(stimuli);

        assertThat(config).isEqualTo(new StimulusConfig(Duration.ofHours(1), Duration.ofMinutes(1),
                StimulusConfig.DEFAULT_PURGE_INTERVAL));
        assertThat(config.dedup().window()).isEqualTo(Duration.ofHours(1));
        assertThat(StimulusConfig.read(Config.empty().get("aegis.stimuli")))
                .isEqualTo(StimulusConfig.defaults());
    }
}
