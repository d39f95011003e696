package ai.aegis.topology.health;

import ai.aegis.schemas.json.WireEnum;

/** How one component of a process is doing, as {@code /health/ready} names it ({@code up}, {@code loading}, ...). */
public enum HealthState implements WireEnum {
    /** Working: the process may take traffic as far as this component is concerned. */
    UP,
    /** Starting: reading what was there before it can answer (a tail before its first catch-up). */
    LOADING,
    /** Not working now: retrying, stalled, stopped or failed. */
    DOWN
}
