package ai.aegis.cli.bench;

import java.util.List;

/**
 * What one scenario of the ingress benchmark measured.
 *
 * @param name    ingress, sse, fanout or webhooks
 * @param setup   how the system and the clients were set up, for the report
 * @param figures the figures, in report order
 * @param notes   what could not be measured, or what qualifies the figures (empty when nothing does)
 */
record ScenarioResult(String name, String setup, List<Figure> figures, List<String> notes) {

    ScenarioResult {
        figures = List.copyOf(figures);
        notes = List.copyOf(notes);
    }
}
