package ai.aegis.worker.smcp.crypto;

import ai.aegis.schemas.json.Json;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The bytes signatures cover must be exactly what {@code bootstrap.py} signs: Python's
 * {@code json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False)}, checked here against Python itself on
 * the awkward cases (key order by code point, non-ASCII, control characters, floats, nesting).
 */
class CanonicalJsonTest {

    private static final String DOCUMENT = """
            {"payload":{"jsonrpc":"2.0","id":7,"method":"tools/call",
              "params":{"name":"fs.write","arguments":{"path":"/workspace/ü.txt","content":"a\\"b\\\\c\\n\\t\\u0001\\u001f é 😀 \\u2028",
                "z":[1,-2,3.5,0.1,1e-05,1.5e16,123456789012345678,100.0,-0.0,true,false,null,{}],"B":{"b":1,"a":[]},
                "é":1,"e":2,"😀":3,"ﬀ":4}}},
             "timestamp":1764633600,"security_token":"eyJ.x.y"}""";

    @Test
    void javaWritesTheBytesPythonSigns() throws Exception {
        JsonNode doc = Json.MAPPER.readTree(DOCUMENT);
        byte[] java = CanonicalJson.bytes(doc);

        Process p = new ProcessBuilder("/usr/bin/python3", "-c", "import json,sys; d=json.loads(sys.stdin.read()); "
                + "sys.stdout.buffer.write(json.dumps(d, sort_keys=True, separators=(',', ':'), "
                + "ensure_ascii=False).encode('utf-8'))").start();
        try (OutputStream in = p.getOutputStream()) {
            in.write(DOCUMENT.getBytes(StandardCharsets.UTF_8));
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        p.getInputStream().transferTo(out);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isZero();

        assertThat(new String(java, StandardCharsets.UTF_8)).isEqualTo(out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void floatsAreLaidOutAsPythonsRepr() {
        assertThat(CanonicalJson.pythonRepr(1e-5)).isEqualTo("1e-05");
        assertThat(CanonicalJson.pythonRepr(1.5e16)).isEqualTo("1.5e+16");
        assertThat(CanonicalJson.pythonRepr(1e16)).isEqualTo("1e+16");
        assertThat(CanonicalJson.pythonRepr(123.0)).isEqualTo("123.0");
        assertThat(CanonicalJson.pythonRepr(0.0001)).isEqualTo("0.0001");
        assertThat(CanonicalJson.pythonRepr(-2.5e-7)).isEqualTo("-2.5e-07");
        assertThat(CanonicalJson.pythonRepr(9999999999999998.0)).isEqualTo("9999999999999998.0");
        assertThat(CanonicalJson.pythonRepr(1e300)).isEqualTo("1e+300");
    }
}
