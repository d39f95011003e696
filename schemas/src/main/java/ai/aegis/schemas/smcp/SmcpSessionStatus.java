package ai.aegis.schemas.smcp;

import ai.aegis.schemas.json.WireEnum;
import com.fasterxml.jackson.annotation.JsonCreator;

/** Where an SMCP session stands: only an {@link #ACTIVE} one, before its expiry, may invoke tools. */
public enum SmcpSessionStatus implements WireEnum {

    ACTIVE,
    /** Its iteration ended (the sandbox is gone). */
    ENDED,
    /** Ended by an operator or by a rule, before its iteration did. */
    REVOKED;

    @JsonCreator
    public static SmcpSessionStatus fromWire(String name) {
        return WireEnum.parse(SmcpSessionStatus.class, name);
    }
}
