package ai.aegis.ingress.stream;

import ai.aegis.ingress.health.Metrics;

import java.util.concurrent.atomic.LongAdder;

/** The counters both stream transports add to, registered once with their names and help. */
record StreamCounters(LongAdder historyUnavailable, LongAdder readBack) {

    static StreamCounters of(Metrics metrics) {
        return new StreamCounters(
                metrics.counter("aegis_sse_history_unavailable_total", "Streams refused (503) or closed because "
                        + "events no longer in memory could not be read back from the topic in time."),
                metrics.counter("aegis_sse_events_read_back_total", "Events sent to streams that were read back "
                        + "from the topic because this node no longer held them in memory."));
    }
}
