package ai.aegis.schemas.stimulus;

import ai.aegis.schemas.json.WireEnum;
import com.fasterxml.jackson.annotation.JsonCreator;

/** How a stimulus found (or did not find) its workflow. */
public enum RoutingMode implements WireEnum {

    /** By the direct route of its source. */
    DIRECT,
    /** By the RouterAgent's answer. */
    CLASSIFIED;

    @JsonCreator
    public static RoutingMode fromWire(String name) {
        return WireEnum.parse(RoutingMode.class, name);
    }
}
